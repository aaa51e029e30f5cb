import Foundation
import LocalRedis
import RESP
import RedisClient
import Testing

// Shared fixtures for the end-to-end suites of the worker that talk to a real redis-server. This file declares
// no suite. It mirrors Tests/RedisClientTests/RedisServerFixture.swift, which cannot be imported across targets.

/// Whether the end-to-end suites can run here, decided once per test process.
enum DaemonRedisFixture {
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
            The ipwatcher worker end-to-end tests are SKIPPED. Set CI=1 to make them fail instead.
            ************************************************************************

            """
        FileHandle.standardError.write(Data(warning.utf8))
        return false
    }()
}

extension Trait where Self == ConditionTrait {
    /// Runs the suite only where redis-server exists, except under CI, where a missing server fails loudly in
    /// ``withRedisServer(_:deadline:sourceLocation:_:)`` instead of silently skipping the worker's tests.
    static var needsRedisServer: Self {
        .enabled(
            if: DaemonRedisFixture.shouldRun,
            "needs redis-server on PATH; skipped locally when missing, fails when CI is set")
    }
}

/// Thrown after the missing-server issue was recorded, to stop the test body.
struct RedisServerMissing: Error, CustomStringConvertible {
    var description: String { DaemonRedisFixture.missingMessage }
}

/// Thrown when a test body does not finish before its deadline.
struct TestDeadlineExceeded: Error, CustomStringConvertible {
    let limit: Duration
    var description: String { "the test body did not finish within \(limit); it was cancelled (a hang?)" }
}

/// Thrown when something a test waits for does not happen in time.
struct WaitTimedOut: Error, CustomStringConvertible {
    let description: String
}

/// Runs `body`, failing with ``TestDeadlineExceeded`` when it takes longer than `limit`.
///
/// The body runs in a child task that is cancelled at the deadline, so a hung wait ends instead of hanging the run.
func withTestDeadline<Result: Sendable>(
    _ limit: Duration = .seconds(30),
    _ body: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    try await withThrowingTaskGroup(of: Result?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        if let first = try await group.next(), let result = first {
            return result
        }
        throw TestDeadlineExceeded(limit: limit)
    }
}

/// Starts a private redis-server, runs `body` with it under a deadline, and always stops the server.
///
/// When redis-server is missing (only possible here when CI is set, see ``Trait/needsRedisServer``), records
/// the loud "install redis-server" issue and throws.
func withRedisServer<Result: Sendable>(
    _ options: LocalRedisServerOptions = LocalRedisServerOptions(),
    deadline: Duration = .seconds(30),
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: @escaping @Sendable (LocalRedisServer) async throws -> Result
) async throws -> Result {
    try await TestLoadGate.shared.load {
        guard DaemonRedisFixture.executable != nil else {
            Issue.record("\(DaemonRedisFixture.missingMessage)", sourceLocation: sourceLocation)
            throw RedisServerMissing()
        }
        let server = try await LocalRedisServer.start(options)
        do {
            let result = try await withTestDeadline(deadline) { try await body(server) }
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }
}

/// Connects to `url` (the test's own connection, beside the worker's), runs `body`, and closes it afterwards.
func withTestConnection<Result>(
    _ url: String,
    _ body: (RedisConnection) async throws -> Result
) async throws -> Result {
    let configuration = RedisConnectionConfiguration(connectTimeout: .seconds(5), commandTimeout: .seconds(5))
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

/// Polls `condition` every `interval` until it holds or `limit` passes; errors thrown by the condition count as
/// "not yet". Returns whether the condition held.
func eventually(
    within limit: Duration = .seconds(10),
    every interval: Duration = .milliseconds(20),
    _ condition: () async throws -> Bool
) async throws -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: limit)
    while true {
        if (try? await condition()) == true { return true }
        if clock.now >= deadline { return false }
        try await Task.sleep(for: interval)
    }
}

/// Like ``eventually(within:every:_:)``, but throws ``WaitTimedOut`` naming `what` when the time runs out.
func waitUntil(
    _ what: @autoclosure () -> String,
    within limit: Duration = .seconds(10),
    every interval: Duration = .milliseconds(20),
    _ condition: () async throws -> Bool
) async throws {
    guard try await eventually(within: limit, every: interval, condition) else {
        throw WaitTimedOut(description: "timed out after \(limit) waiting until \(what())")
    }
}

// MARK: - Reading Redis

extension RedisConnection {
    /// `SISMEMBER key member`.
    func isMember(_ member: String, of key: String) async throws -> Bool {
        try await send("SISMEMBER", key, member).int == 1
    }

    /// `SMEMBERS key`, sorted.
    func members(of key: String) async throws -> [String] {
        let reply = try await send("SMEMBERS", key)
        return (reply.array.map { $0.compactMap(\.string) } ?? []).sorted()
    }

    /// `LPUSH key entries…` in one command, so a waiting worker pops all of them as one batch.
    func push(_ entries: [String], to key: String = "ips") async throws {
        _ = try await send("LPUSH", key, entries).throwingServerError()
    }

    /// `LRANGE key 0 -1`.
    func listContents(_ key: String) async throws -> [String] {
        let reply = try await send("LRANGE", key, 0, -1)
        return reply.array.map { $0.compactMap(\.string) } ?? []
    }

    /// Every key of the database, by `SCAN` with `pattern`.
    func allKeys(matching pattern: String = "*") async throws -> [String] {
        var keys: [String] = []
        var cursor = "0"
        repeat {
            let reply = try await send("SCAN", cursor, "MATCH", pattern, "COUNT", 1000)
            let parts = reply.array.map { Array($0) } ?? []
            guard parts.count == 2, let next = parts[0].string else {
                throw WaitTimedOut(description: "unexpected SCAN reply")
            }
            cursor = next
            keys += parts[1].array.map { $0.compactMap(\.string) } ?? []
        } while cursor != "0"
        return keys.sorted()
    }

    /// `ZSCORE key member`, nil when there is none.
    func score(of member: String, in key: String) async throws -> Double? {
        let reply = try await send("ZSCORE", key, member)
        return reply.isNull ? nil : reply.double
    }

    /// `CLIENT LIST` as one dictionary of fields per client.
    func clientList() async throws -> [[String: String]] {
        let text = try await send("CLIENT", "LIST").string ?? ""
        return text.split(whereSeparator: \.isNewline).map { line in
            var fields: [String: String] = [:]
            for field in line.split(separator: " ") {
                let parts = field.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
            }
            return fields
        }
    }

    /// Connection ids of the clients named `name`, sorted.
    func clientIDs(named name: String) async throws -> [String] {
        try await clientList().filter { $0["name"] == name }.compactMap { $0["id"] }.sorted()
    }
}

/// A test address repeated `count` times, as a producer pushing one entry per request would.
func hits(_ address: String, _ count: Int) -> [String] {
    Array(repeating: address, count: count)
}
