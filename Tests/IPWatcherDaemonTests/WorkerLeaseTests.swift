import Foundation
import IPWatcherDaemon
import IPWatcherTestSupport
import LocalRedis
import RESP
import RedisClient
import SystemdNotify
import Testing

/// Leases: a worker that stays silent for a lease has the batches it left counted and released by another.
@Suite(
    "Worker: leases and taking over a silent worker's batches", .needsRedisServer, .timeLimit(.minutes(10)),
    .measuresTime)
struct WorkerLeaseTests {
    /// Settings with a one-second lease, so tests see a takeover within about a second.
    static var shortLease: WorkerSettings {
        var settings = WorkerSettings.forTests
        settings.workerID = "taker"
        settings.lease = .seconds(1)
        settings.detection.singleRule.windowSeconds = 3600
        return settings
    }

    /// Twelve entries for each of three addresses, in two batches, as a dead worker left them.
    static let deadBatches = [
        Array(repeating: "198.51.100.1", count: 12) + Array(repeating: "198.51.100.2", count: 12),
        Array(repeating: "198.51.100.3", count: 12),
    ]

    @Test("the batches of a worker whose lease ended are counted and released by another, and the worker is forgotten; a live worker's are left alone")
    func silentWorkerIsTakenOver() async throws {
        try await withWorker(Self.shortLease, beforeStart: { redis in
            for (index, batch) in Self.deadBatches.enumerated() {
                try await redis.storeBatch(batch, named: "old-\(index)", in: "ipwatcher:processing:gone-1")
            }
            try await redis.storeBatch(["203.0.113.9"], named: "live-0", in: "ipwatcher:processing:alive-1")
            let now = try await serverMilliseconds(redis)
            _ = try await redis.send("HSET", "ipwatcher:workers", "gone-1", now - 5_000, "alive-1", now + 600_000)
        }) { run in
            let total = Self.deadBatches.joined().count
            try await run.waitForTotals("the silent worker's entries are taken over", within: .seconds(10)) {
                $0.recovered == total && $0.counted == total
            }
            let counts = try await run.redis.countsPerUnit()
            #expect(counts == ["198.51.100.1": 12, "198.51.100.2": 12, "198.51.100.3": 12])
            #expect(try await run.redis.send("EXISTS", "ipwatcher:processing:gone-1").int == 0)
            try await waitUntil("the silent worker is forgotten") {
                try await run.redis.send("HEXISTS", "ipwatcher:workers", "gone-1").int == 0
            }
            #expect(try await run.redis.send("HLEN", "ipwatcher:processing:alive-1").int == 1, "a live worker's batch was taken")
            // The taker keeps its own lease: it ends in the future, by the server's clock. Read until a renewal
            // is seen: with a one-second lease, a test task or renewal starved for a second on a loaded machine
            // would otherwise read a lease that just ran out.
            try await waitUntil("the taker's own lease ends in the future") {
                let own = Int64(try await run.redis.send("HGET", "ipwatcher:workers", "taker").string ?? "0") ?? 0
                return own > (try await serverMilliseconds(run.redis))
            }
        }
    }

    @Test("two workers looking for silent workers at once take over each batch once")
    func twoTakersCountOnce() async throws {
        try await withRedisServer(deadline: .seconds(30)) { server in
            try await withConnection(server.url) { redis in
                for round in 0..<5 {
                    let dead = "gone-\(round)"
                    for (index, batch) in Self.deadBatches.enumerated() {
                        try await redis.storeBatch(batch, named: "b\(index)", in: "ipwatcher:processing:\(dead)")
                    }
                    _ = try await redis.send("HSET", "ipwatcher:workers", dead, 1)
                }
                let endpoint = try RedisEndpoint(url: server.url)
                let workers = ["taker-a", "taker-b"].map { id in
                    var settings = Self.shortLease
                    settings.workerID = id
                    // Long enough that a claim outlives the wait for the first batch's extension on a busy machine.
                    settings.lease = .seconds(3)
                    return IPWatcherWorker(
                        endpoint: endpoint, settings: settings, redisConfiguration: RedisConnectionConfiguration(),
                        logger: workerTestLogger, notifier: SystemdNotifier(enabled: false), workerTag: "\(id)-run",
                        shutdownSignals: [])
                }
                let total = 5 * Self.deadBatches.joined().count
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for worker in workers { group.addTask { try await worker.run() } }
                    try await waitUntil("every silent worker's entries are taken over", within: .seconds(10)) {
                        workers.map { $0.statistics.snapshot.recovered }.reduce(0, +) >= total
                    }
                    try await Task.sleep(for: .milliseconds(500))
                    let recovered = workers.map { $0.statistics.snapshot.recovered }
                    #expect(recovered.reduce(0, +) == total, "recovered per taker: \(recovered)")
                    #expect(try await redis.counterTotal() == total)
                    group.cancelAll()
                    try? await group.waitForAll()
                }
            }
        }
    }

    @Test("with leases off (queue.lease: 0) a silent worker's batches stay where they are")
    func leasesOff() async throws {
        var settings = Self.shortLease
        settings.lease = nil
        try await withWorker(settings, beforeStart: { redis in
            try await redis.storeBatch(["198.51.100.1"], named: "old-0", in: "ipwatcher:processing:gone-1")
            _ = try await redis.send("HSET", "ipwatcher:workers", "gone-1", 1)
        }) { run in
            try await run.redis.push(["192.0.2.1"])
            try await run.waitUntilHandled(1)
            try await Task.sleep(for: .seconds(1))
            #expect(run.totals.recovered == 0)
            #expect(try await run.redis.send("HLEN", "ipwatcher:processing:gone-1").int == 1)
            #expect(try await run.redis.send("HEXISTS", "ipwatcher:workers", "taker").int == 0, "no lease without leases")
        }
    }
}

/// The Redis server's clock in Unix milliseconds (`TIME`), which lease ends are measured in.
private func serverMilliseconds(_ redis: RedisConnection) async throws -> Int64 {
    let parts = try #require(try await redis.send("TIME").array.map { Array($0) })
    let seconds = Int64(parts[0].string ?? "0") ?? 0
    let micros = Int64(parts[1].string ?? "0") ?? 0
    return seconds * 1000 + micros / 1000
}
