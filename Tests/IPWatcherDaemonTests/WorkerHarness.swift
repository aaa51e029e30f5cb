import Detection
import Foundation
import IPWatcherDaemon
import IPWatcherTestSupport
import LocalRedis
import Logging
import RedisClient
import Synchronization
import SystemdNotify
import Testing

// Runs the worker in-process against a private redis-server. This file declares no suite.

/// One running worker, its server, and a connection of the test's own for pushing and inspecting.
struct WorkerRun: Sendable {
    let worker: IPWatcherWorker
    let server: LocalRedisServer
    let redis: RedisConnection
    /// The fault proxy the worker reaches Redis through, when the test asked for one; the test's own connection
    /// (``redis``) goes to the server directly.
    var proxy: FaultProxy? = nil

    /// The worker's running totals right now.
    var totals: WorkerStatistics.Snapshot { worker.statistics.snapshot }

    /// Waits until the totals satisfy `condition`; throws with the last totals when they don't within `limit`.
    @discardableResult
    func waitForTotals(
        _ what: String, within limit: Duration = .seconds(10),
        _ condition: @escaping (WorkerStatistics.Snapshot) -> Bool
    ) async throws -> WorkerStatistics.Snapshot {
        let statistics = worker.statistics
        guard try await eventually(within: limit, { condition(statistics.snapshot) }) else {
            throw WaitTimedOut(description: "timed out after \(limit) waiting until \(what); totals: \(statistics.snapshot)")
        }
        return statistics.snapshot
    }

    /// Waits until `count` entries have been dealt with: written as counted, or refused, stale or allowlisted.
    ///
    /// `counted` grows only after the batch's counters, blocks and dead letters were written, so once this
    /// returns every effect of those entries is visible in Redis.
    @discardableResult
    func waitUntilHandled(_ count: Int, within limit: Duration = .seconds(10)) async throws -> WorkerStatistics.Snapshot {
        try await waitForTotals("\(count) entries are handled", within: limit) { $0.handled >= count }
    }
}

extension WorkerRun {
    /// Waits until the worker released every batch it took (at-least-once delivery deletes a batch from its
    /// processing hash just after the batch's totals are recorded), so the keyspace holds only what stays.
    func waitUntilBatchesReleased(within limit: Duration = .seconds(10)) async throws {
        let prefix = worker.settings.keys.prefix + "processing"
        try await waitUntil("the worker released its batches", within: limit) {
            try await redis.allKeys(matching: prefix + "*").isEmpty
        }
    }
}

extension WorkerRun {
    /// Kills the worker's connections (every normal client but the test's own) every 10 ms until `count` entries
    /// are counted, and returns how many were killed.
    func cuttingConnections(untilCounted count: Int, within limit: Duration = .seconds(60)) async throws -> Int {
        try await withThrowingTaskGroup(of: Int.self) { group in
            let done = Atomic<Bool>(false)
            group.addTask {
                var killed = 0
                while !done.load(ordering: .relaxed) {
                    let reply = try await redis.send("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")
                    killed += Int(reply.int ?? 0)
                    try await Task.sleep(for: .milliseconds(10))
                }
                return killed
            }
            defer { done.store(true, ordering: .relaxed) }
            try await waitForTotals("every entry is counted", within: limit) { $0.counted >= count }
            done.store(true, ordering: .relaxed)
            return try await group.next() ?? 0
        }
    }
}

extension WorkerStatistics.Snapshot {
    /// Entries whose fate is recorded: counted (after the write), refused, stale or allowlisted.
    var handled: Int { counted + rejectedTotal + stale + allowlisted }
}

extension WorkerSettings {
    /// The product's defaults with a short blocking pop, so the tests and their shutdown are quick.
    static var forTests: WorkerSettings {
        var settings = WorkerSettings()
        settings.blockTimeout = .milliseconds(100)
        // No lease hash in the keyspace of tests that look at every key; WorkerLeaseTests turn leases on.
        settings.lease = nil
        return settings
    }

    /// The settings of the configuration file `path`, tuned as ``forTests`` is, without a metrics port.
    static func forTests(configurationFile path: String) async throws -> WorkerSettings {
        var settings = WorkerSettings(configuration: try await loadConfiguration(file: path))
        settings.blockTimeout = .milliseconds(100)
        settings.lease = nil
        settings.metricsListen = nil
        return settings
    }

    /// ``forTests`` in `mode`.
    static func forTests(mode: DetectionRule.Mode) -> WorkerSettings {
        var settings = forTests
        settings.detection.singleRule.mode = mode
        return settings
    }
}

/// A logger for in-process workers: quiet unless `IPWATCHER_TEST_LOG_LEVEL` asks for more.
let workerTestLogger: Logger = {
    var logger = Logger(label: "ipwatcher.e2e")
    let requested = ProcessInfo.processInfo.environment["IPWATCHER_TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:))
    logger.logLevel = requested ?? .critical
    return logger
}()

/// Starts a private redis-server and an in-process worker on it with `settings`, runs `body`, then stops the
/// worker by cancelling its task and stops the server. `beforeStart` may fill Redis before the worker starts.
///
/// The worker runs in a child task of a task group, without shutdown signals; the body's end cancels the group.
/// A worker that stops on its own before that is recorded as an issue, since nothing in these tests should stop it.
/// `redisConfiguration` replaces the connection configuration tests use by default (no reply limits beyond the
/// client's own), e.g. with the one `ipwatcher run` derives from its configuration. With `throughFaultProxy` the
/// worker connects through a ``FaultProxy`` in front of the server (``WorkerRun/proxy``), stopped after the worker.
func withWorker<Result: Sendable>(
    _ settings: WorkerSettings = .forTests,
    redisConfiguration: RedisConnectionConfiguration? = nil,
    serverOptions: LocalRedisServerOptions = LocalRedisServerOptions(),
    throughFaultProxy: Bool = false,
    deadline: Duration = .seconds(30),
    sourceLocation: SourceLocation = #_sourceLocation,
    beforeStart: @escaping @Sendable (RedisConnection) async throws -> Void = { _ in },
    _ body: @escaping @Sendable (WorkerRun) async throws -> Result
) async throws -> Result {
    @Sendable func runWorker(server: LocalRedisServer, proxy: FaultProxy?) async throws -> Result {
        let endpoint = try RedisEndpoint(url: proxy?.redisURL ?? server.url)
        let worker = IPWatcherWorker(
            endpoint: endpoint, settings: settings,
            redisConfiguration: redisConfiguration
                ?? RedisConnectionConfiguration(
                    connectTimeout: .seconds(5), commandTimeout: .seconds(5), clientName: "ipwatcher",
                    fatalConnectErrorCodes: RedisConnectionConfiguration.authenticationErrorCodes),
            logger: workerTestLogger, notifier: SystemdNotifier(enabled: false),
            workerTag: "e2e-\(UUID().uuidString.prefix(8))", shutdownSignals: [])
        return try await withConnection(server.url) { redis in
            try await beforeStart(redis)
            return try await withThrowingTaskGroup(of: Void.self, returning: Result.self) { group in
                let stopping = Atomic<Bool>(false)
                group.addTask {
                    do {
                        try await worker.run()
                        if !stopping.load(ordering: .relaxed) {
                            Issue.record("the worker stopped on its own while the test ran", sourceLocation: sourceLocation)
                        }
                    } catch {
                        if !stopping.load(ordering: .relaxed) {
                            Issue.record("the worker failed while the test ran: \(error)", sourceLocation: sourceLocation)
                        }
                    }
                }
                let run = WorkerRun(worker: worker, server: server, redis: redis, proxy: proxy)
                do {
                    let result = try await body(run)
                    stopping.store(true, ordering: .relaxed)
                    group.cancelAll()
                    try await group.waitForAll()
                    return result
                } catch {
                    stopping.store(true, ordering: .relaxed)
                    group.cancelAll()
                    try? await group.waitForAll()
                    throw error
                }
            }
        }
    }
    return try await withRedisServer(serverOptions, deadline: deadline, sourceLocation: sourceLocation) { server in
        guard throughFaultProxy else {
            return try await runWorker(server: server, proxy: nil)
        }
        let proxy = try await FaultProxy.start(upstreamPort: try #require(server.port))
        do {
            let result = try await runWorker(server: server, proxy: proxy)
            await proxy.stop()
            return result
        } catch {
            await proxy.stop()
            throw error
        }
    }
}

/// The wall clock the worker judges event times by, in Unix milliseconds.
func nowMilliseconds() -> Int64 { WallClock().nowMilliseconds() }
