import LocalRedis
import RedisClient
import Testing

/// Connects to `url` (the test's own connection, beside whatever the test exercises), runs `body`, and closes the
/// connection at once afterwards, whatever happened.
public func withConnection<Result>(
    _ url: String,
    configuration: RedisConnectionConfiguration = RedisConnectionConfiguration(),
    _ body: (RedisConnection) async throws -> Result
) async throws -> Result {
    let connection = try await RedisConnection.connect(to: RedisEndpoint(url: url), configuration: configuration)
    do {
        let result = try await body(connection)
        await connection.closeNow()
        return result
    } catch {
        await connection.closeNow()
        throw error
    }
}

/// Starts a private redis-server as ``withRedisServer(_:deadline:sourceLocation:_:)`` does and runs `body` with
/// it and a connection to it: most client tests need exactly that.
public func withRedisConnection<Result: Sendable>(
    _ options: LocalRedisServerOptions = LocalRedisServerOptions(),
    deadline: Duration = .seconds(30),
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: @escaping @Sendable (LocalRedisServer, RedisConnection) async throws -> Result
) async throws -> Result {
    try await withRedisServer(options, deadline: deadline, sourceLocation: sourceLocation) { server in
        try await withConnection(server.url) { try await body(server, $0) }
    }
}

/// Like ``withRedisConnection(_:deadline:sourceLocation:_:)`` with a second connection: `observer` watches the
/// server (`CLIENT LIST`, `LRANGE`) while the test blocks, times out, cancels or closes `connection`, which is
/// closed at once afterwards whatever state the test left it in.
public func withObservedConnection<Result: Sendable>(
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: @escaping @Sendable (_ observer: RedisConnection, _ connection: RedisConnection) async throws -> Result
) async throws -> Result {
    try await withRedisConnection(sourceLocation: sourceLocation) { server, observer in
        try await withConnection(server.url) { try await body(observer, $0) }
    }
}
