import LocalRedis
import Testing

/// Starts a private redis-server, runs `body` with it under `deadline`, and always stops the server.
///
/// The start enters ``TestLoadGate`` as load (unless the calling test already passed the gate), so no timing test
/// runs meanwhile; the deadline covers `body` only, not the wait at the gate. When redis-server is missing (only
/// possible here under CI, see ``Trait/needsRedisServer``), records the loud "install redis-server" issue and
/// throws ``RedisServerMissing``.
public func withRedisServer<Result: Sendable>(
    _ options: LocalRedisServerOptions = LocalRedisServerOptions(),
    deadline: Duration = .seconds(30),
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: @escaping @Sendable (LocalRedisServer) async throws -> Result
) async throws -> Result {
    try await TestLoadGate.shared.load {
        guard RedisTools.redisServer != nil else {
            Issue.record("\(RedisTools.missingServerMessage)", sourceLocation: sourceLocation)
            throw RedisServerMissing()
        }
        let server = try await LocalRedisServer.start(options)
        return try await withTestDeadline(deadline, using: server, stop: { await $0.stop() }, body)
    }
}

extension LocalRedisServerOptions {
    /// A server that listens on its unix socket only (no TCP port), as the feed tests use.
    public static var unixSocketOnly: Self {
        var options = LocalRedisServerOptions()
        options.tcp = false
        return options
    }

    /// A server that writes every acknowledged command to its append-only file, so a killed and restarted
    /// server still has everything it answered for.
    public static var persistent: Self {
        var options = LocalRedisServerOptions()
        options.appendOnly = true
        return options
    }
}
