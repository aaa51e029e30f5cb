import Foundation
import LocalRedis
import RESP
import RedisClient
import Testing

// Shared fixtures for the suites that feed a real redis-server. This file declares no suite. It mirrors
// Tests/RedisClientTests/RedisServerFixture.swift, which cannot be imported across test targets.

/// Whether the integration suites can run here, decided once per test process.
enum TrafficRedisFixture {
    /// The message recorded when redis-server is missing on CI.
    static let missingMessage = "redis-server not on PATH: install redis-server"

    /// Path of the redis-server that LocalRedisServer would launch, or nil when there is none.
    static let executable: String? = LocalRedisServer.executablePath(named: "redis-server")

    /// Whether the environment variable CI is set (to anything), as CI services do.
    static let isCI: Bool = ProcessInfo.processInfo.environment["CI"] != nil

    /// True when the suites should run: redis-server exists, or we are on CI where its absence must fail.
    ///
    /// Evaluated lazily and once; when the tests are skipped it prints a warning to stderr so the skip is noticed.
    static let shouldRun: Bool = {
        if executable != nil || isCI { return true }
        let warning = """

            ************************************************************************
            WARNING: \(missingMessage).
            The ipwatcher feed integration tests are SKIPPED. Set CI=1 to make them fail instead.
            ************************************************************************

            """
        FileHandle.standardError.write(Data(warning.utf8))
        return false
    }()
}

extension Trait where Self == ConditionTrait {
    /// Runs the suite only where redis-server exists, except under CI, where a missing server fails loudly in
    /// ``withFeedServer(deadline:sourceLocation:_:)`` instead of silently skipping.
    static var feedNeedsRedisServer: Self {
        .enabled(
            if: TrafficRedisFixture.shouldRun,
            "needs redis-server on PATH; skipped locally when missing, fails when CI is set")
    }
}

/// Thrown after the missing-server issue was recorded, to stop the test body.
struct FeedRedisServerMissing: Error, CustomStringConvertible {
    var description: String { TrafficRedisFixture.missingMessage }
}

/// Thrown when a test body does not finish before its deadline.
struct FeedTestDeadlineExceeded: Error, CustomStringConvertible {
    let limit: Duration
    var description: String { "the test body did not finish within \(limit); it was cancelled (a hang?)" }
}

/// Starts a private redis-server (unix socket only), runs `body` with it under a deadline, and always stops it.
func withFeedServer<Result: Sendable>(
    deadline: Duration = .seconds(30),
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: @escaping @Sendable (LocalRedisServer) async throws -> Result
) async throws -> Result {
    try await TestLoadGate.shared.load {
        guard TrafficRedisFixture.executable != nil else {
            Issue.record("\(TrafficRedisFixture.missingMessage)", sourceLocation: sourceLocation)
            throw FeedRedisServerMissing()
        }
        var options = LocalRedisServerOptions()
        options.tcp = false
        let server = try await LocalRedisServer.start(options)
        do {
            let result = try await withFeedDeadline(deadline) { try await body(server) }
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }
}

/// Runs `body`, cancelling it and throwing ``FeedTestDeadlineExceeded`` when it has not finished by `deadline`.
func withFeedDeadline<Result: Sendable>(
    _ deadline: Duration, _ body: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    try await withThrowingTaskGroup(of: Result?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: deadline)
            return nil
        }
        defer { group.cancelAll() }
        if let first = try await group.next(), let result = first { return result }
        throw FeedTestDeadlineExceeded(limit: deadline)
    }
}

/// Connects to `url`, runs `body`, and closes the connection afterwards.
func withFeedConnection<Result>(_ url: String, _ body: (RedisConnection) async throws -> Result) async throws -> Result {
    let configuration = RedisConnectionConfiguration(connectTimeout: .seconds(5), commandTimeout: .seconds(10))
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

extension RedisConnection {
    /// `LRANGE key 0 -1`.
    func listContents(_ key: String) async throws -> [String] {
        let reply = try await send("LRANGE", key, 0, -1)
        return reply.array.map { $0.compactMap(\.string) } ?? []
    }
}
