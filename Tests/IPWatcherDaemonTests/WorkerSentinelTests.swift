import Foundation
import IPWatcherDaemon
import IPWatcherTestSupport
import LocalRedis
import RedisClient
import Synchronization
import SystemdNotify
import Testing

/// The worker behind Redis Sentinel (one master, two replicas, three sentinels on loopback, `down-after-milliseconds`
/// 1000): when the master is killed while the worker drains, it counts against the promoted replica within 5 s of
/// the promotion, and what asynchronous replication lost at that moment is measured.
@Suite("Worker: Redis Sentinel failover", .serialized, .needsRedisSentinel, .loadsMachine, .timeLimit(.minutes(10)))
struct WorkerSentinelTests {
    /// One-hour windows, so every count of the run is in a key the test reads back; units that each arrive once
    /// (far under the threshold), so a count above 1 is an entry counted twice.
    static var settings: WorkerSettings {
        var settings = WorkerSettings.forTests
        settings.detection.singleRule.windowSeconds = 3600
        return settings
    }

    @Test("the master killed while the worker drains: counting resumes on the promoted replica within 5 s of +switch-master; what replication lost is measured")
    func masterKilledWhileDraining() async throws {
        try await withRedisSentinel(deadline: .seconds(180)) { group in
            try await withSentinelEvents(group) { events in
                let endpoint = try RedisEndpoint(url: group.sentinelURL)
                let worker = IPWatcherWorker(
                    endpoint: endpoint, settings: Self.settings,
                    redisConfiguration: RedisConnectionConfiguration(
                        connectTimeout: .seconds(5), commandTimeout: .seconds(5), clientName: "ipwatcher",
                        fatalConnectErrorCodes: RedisConnectionConfiguration.authenticationErrorCodes),
                    logger: workerTestLogger, notifier: SystemdNotifier(enabled: false),
                    workerTag: "sentinel-\(UUID().uuidString.prefix(8))", shutdownSignals: [])
                let producer = FailoverProducer(endpoint: endpoint)
                let clock = ContinuousClock()
                let outcome = try await withThrowingTaskGroup(of: Void.self) { tasks in
                    tasks.addTask { try await worker.run() }
                    tasks.addTask { try await producer.run() }
                    defer { tasks.cancelAll() }

                    try await waitUntil("the worker counted 1,000 entries", within: .seconds(30)) {
                        worker.statistics.snapshot.counted >= 1_000
                    }
                    let oldMaster = try group.currentMaster()
                    let oldPort = try #require(oldMaster.port)
                    let killedAt = clock.now
                    await oldMaster.kill()
                    let switched = try await events.waitForSwitch(from: oldPort, timeout: .seconds(30))
                    // Sentinels name the promoted replica as soon as the failover starts, so the worker may be
                    // counting there before +switch-master; then it resumed "at" the switch.
                    let countedAtSwitch = worker.statistics.snapshot.counted
                    try await waitUntil("the worker counts again after the switch", within: .seconds(30), every: .milliseconds(5)) {
                        worker.statistics.snapshot.counted > countedAtSwitch
                    }
                    let resumedAfter = max(clock.now - switched.switchedAt, .zero)
                    try await waitUntil("the producer pushed 1,000 entries to the new master", within: .seconds(30)) {
                        producer.acknowledged(by: switched.newPort).count >= 1_000
                    }
                    producer.stop()
                    let newURL = switched.newMaster.url
                    try await withConnection(newURL) { redis in
                        try await waitUntil("the new master's queue is drained and every batch released", within: .seconds(30)) {
                            let queued = try await redis.send("LLEN", "ips").int ?? -1
                            let processing = try await redis.allKeys(matching: "ipwatcher:processing*")
                            return queued == 0 && processing.isEmpty
                        }
                    }
                    return (killedAt: killedAt, switched: switched, resumedAfter: resumedAfter)
                }
                let counts = try await withConnection(outcome.switched.newMaster.url) { redis in
                    try await Self.countsPerUnit(on: redis)
                }
                let before = producer.acknowledged(by: try #require(group.initialMaster.port))
                let after = producer.acknowledged(by: outcome.switched.newPort)
                let inFlight = producer.unacknowledged
                let lost = before.filter { counts[$0] == nil }
                let countedTwice = (before + after + inFlight).filter { (counts[$0] ?? 0) > 1 }
                let afterNotOnce = after.filter { counts[$0] != 1 }

                #expect(outcome.resumedAfter <= .seconds(5), "counting resumed \(outcome.resumedAfter) after the switch")
                #expect(afterNotOnce.isEmpty, "entries the new master acknowledged were not counted exactly once: \(afterNotOnce.prefix(5))")
                // Asynchronous replication loses at most what the old master acknowledged in its last moments; a
                // loss beyond a second of pushes (1,000 entries) would be something else.
                #expect(lost.count <= 1_000, "\(lost.count) acknowledged entries were lost")
                print(
                    "sentinel failover (worker): kill → +switch-master \(outcome.switched.switchedAt - outcome.killedAt); "
                        + "counting resumed \(outcome.resumedAfter) after the switch; old master acknowledged "
                        + "\(before.count), of which \(lost.count) lost; \(inFlight.count) unacknowledged at the kill, "
                        + "\(inFlight.filter { counts[$0] != nil }.count) of them counted; \(countedTwice.count) counted twice; "
                        + "new master acknowledged \(after.count), all counted once: \(afterNotOnce.isEmpty)")
            }
        }
    }

    /// Each unit's total count over every fixed-window key, from the server's own keyspace.
    static func countsPerUnit(on redis: RedisConnection) async throws -> [String: Int] {
        let keys = try await redis.allKeys(matching: "ipwatcher:fixed:*")
        var counts: [String: Int] = [:]
        var start = keys.startIndex
        while start < keys.endIndex {
            let chunk = keys[start..<min(start + 500, keys.endIndex)]
            let values = try await redis.send("MGET", Array(chunk)).array.map { Array($0) } ?? []
            for (key, value) in zip(chunk, values) {
                // ipwatcher:fixed:<window>:<index>:<unit>
                let unit = key.split(separator: ":", maxSplits: 4).last.map(String.init) ?? key
                counts[unit, default: 0] += value.string.flatMap { Int($0) } ?? 0
            }
            start = chunk.endIndex
        }
        return counts
    }
}

/// Pushes ten new addresses every 10 ms through the sentinels, each address once, and records which server
/// acknowledged each push; a push whose reply never came is kept apart (it may or may not have landed), and the
/// next push goes through a new connection the sentinels point to.
final class FailoverProducer: Sendable {
    private struct State {
        var acknowledged: [Int: [String]] = [:]
        var unacknowledged: [String] = []
        var stopped = false
    }

    private let endpoint: RedisEndpoint
    private let state = Mutex(State())

    init(endpoint: RedisEndpoint) {
        self.endpoint = endpoint
    }

    /// The addresses the server on `port` acknowledged.
    func acknowledged(by port: Int) -> [String] { state.withLock { $0.acknowledged[port] ?? [] } }

    /// The addresses whose push got no reply.
    var unacknowledged: [String] { state.withLock { $0.unacknowledged } }

    /// Ends ``run()`` after its current push.
    func stop() { state.withLock { $0.stopped = true } }

    /// Pushes until ``stop()`` or cancellation.
    func run() async throws {
        var next = 0
        var connection: RedisConnection?
        while !state.withLock({ $0.stopped }) && !Task.isCancelled {
            let batch = (next..<next + 10).map { "10.\(($0 >> 16) & 255).\(($0 >> 8) & 255).\($0 & 255)" }
            next += 10
            do {
                if connection == nil || connection?.isActive == false {
                    connection = try await RedisConnection.connect(
                        to: endpoint, configuration: .init(connectTimeout: .seconds(2), commandTimeout: .seconds(2)))
                }
                guard let connection, case .tcp(_, let port) = connection.endpoint.address else { continue }
                do {
                    try await connection.push(batch)
                    state.withLock { $0.acknowledged[port, default: []] += batch }
                } catch {
                    state.withLock { $0.unacknowledged += batch }
                    await connection.closeNow()
                }
            } catch {
                // No master reachable yet (the failover is under way): these addresses were never sent.
                try await Task.sleep(for: .milliseconds(50))
                continue
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        await connection?.closeNow()
    }
}
