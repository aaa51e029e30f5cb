import Foundation
import IPWatcherTestSupport
import LocalRedis
import RedisClient
import SystemdNotify
import Testing
import Traffic

#if canImport(Glibc)
import Glibc
#endif

/// The real `ipwatcher run` binary, crashed with SIGKILL mid-stream, and Redis crashed under it: with
/// at-least-once delivery no entry is lost, and none is counted more than twice.
@Suite("ipwatcher run: crashes lose nothing", .needsRedisServer, .timeLimit(.minutes(10)), .loadsMachine)
struct DaemonCrashRecoveryTests {
    static let addresses = 1_000
    static let hitsPerAddress = 100

    /// Small batches, so a crash finds several in flight; a threshold nobody reaches, so only counts matter.
    static let configuration = """
        queue:
          block_timeout: 0.1
          batch: 200
          worker_id: crash-test
        detection:
          threshold: 1000000
          window: 3600
        log:
          level: info
        """

    /// 1,000 addresses × 100 hits, shuffled with a fixed seed.
    static func traffic() -> [String] {
        var entries: [String] = []
        entries.reserveCapacity(addresses * hitsPerAddress)
        for index in 0..<addresses {
            let address = "10.\(index / 256).\(index % 256).1"
            entries += Array(repeating: address, count: hitsPerAddress)
        }
        var generator = SplitMix64(seed: 20_261_126)
        entries.shuffle(using: &generator)
        return entries
    }

    /// Pushes `entries` in commands of 1,000.
    static func push(_ entries: [String], to redis: RedisConnection) async throws {
        for start in stride(from: 0, to: entries.count, by: 1_000) {
            try await redis.push(Array(entries[start..<min(start + 1_000, entries.count)]))
        }
    }

    /// The queue's length; nil while Redis cannot be reached.
    static func queueLength(_ redis: RedisConnection) async throws -> Int {
        Int(try await redis.send("LLEN", "ips").int ?? -1)
    }

    /// Checks that every address was counted at least once per hit and at most twice; returns the surplus.
    static func expectNothingLost(
        _ counts: [String: Int], sourceLocation: SourceLocation = #_sourceLocation
    ) -> Int {
        #expect(counts.count == addresses, "addresses counted", sourceLocation: sourceLocation)
        let lost = counts.filter { $0.value < hitsPerAddress }
        let overCounted = counts.filter { $0.value > 2 * hitsPerAddress }
        let lostEntries = lost.values.reduce(0) { $0 + hitsPerAddress - $1 }
        #expect(lost.count == 0, "\(lostEntries) entries lost, e.g. \(lost.first.map { "\($0)" } ?? "")",
            sourceLocation: sourceLocation)
        #expect(overCounted.count == 0, "counted more than twice: \(overCounted.prefix(3))", sourceLocation: sourceLocation)
        return counts.values.reduce(0, +) - addresses * hitsPerAddress
    }

    /// Runs `body` with a private redis-server whose queue holds ``traffic()``, a scratch directory with the
    /// test's configuration file, the `ipwatcher run` arguments for both, and a connection to the server.
    static func withTrafficQueued(
        deadline: Duration,
        _ body: @escaping @Sendable (ScratchDirectory, [String], RedisConnection, [String]) async throws -> Void
    ) async throws {
        try await withRedisConnection(deadline: deadline) { server, redis in
            try await withScratchDirectory { scratch in
                let config = try scratch.write(Self.configuration, to: "ipwatcher.yaml")
                let entries = Self.traffic()
                try await Self.push(entries, to: redis)
                try await body(scratch, ["run", "--config", config, "--redis-url", server.url], redis, entries)
            }
        }
    }

    @Test("kill -9 three times while draining 100,000 entries: every entry counted, none more than twice")
    func killNineLosesNothing() async throws {
        try await Self.withTrafficQueued(deadline: .seconds(150)) { scratch, arguments, redis, _ in
            var killsWithBatchesInHand = 0
            var unfinished: [String] = []
            for round in 1...3 {
                let before = try await Self.queueLength(redis)
                try await withDaemon(arguments, in: scratch) { daemon in
                    // Kill as soon as this run has drained a little: mid-stream, batches in hand.
                    try await waitUntil("round \(round) drains 3,000 entries", within: .seconds(30), every: .milliseconds(2)) {
                        try await Self.queueLength(redis) <= before - 3_000
                    }
                    daemon.deliver(SIGKILL)
                    _ = try await daemon.waitForExit(within: .seconds(5))
                }
                unfinished = try await redis.allKeys(matching: "ipwatcher:processing:crash-test*")
                if !unfinished.isEmpty { killsWithBatchesInHand += 1 }
            }
            #expect(killsWithBatchesInHand >= 1, "no kill caught a batch in hand; the test proved nothing")
            try await withNotifyingDaemon(arguments, in: scratch) { daemon, notify in
                try await notify.waitFor("READY=1", within: .seconds(10))
                try await waitUntil("the queue and the processing hash are empty", within: .seconds(60)) {
                    let left = try await redis.allKeys(matching: "ipwatcher:processing*")
                    return try await Self.queueLength(redis) == 0 && left.isEmpty
                }
                if !unfinished.isEmpty {
                    #expect(daemon.standardError.contains("recovering unfinished batches"))
                }
                try await daemon.stopExpectingSuccess()
            }
            let surplus = Self.expectNothingLost(try await redis.countsPerUnit())
            print("kill -9 ×3: \(killsWithBatchesInHand) kills caught batches in hand; \(surplus) entries counted twice")
        }
    }

    @Test("kill -9 of one of two workers that never comes back: the other takes over its batches once its lease ran out")
    func survivorTakesOverDeadWorker() async throws {
        try await Self.withTrafficQueued(deadline: .seconds(120)) { scratch, arguments, redis, entries in
            func environment(_ id: String) -> [String: String] {
                ["IPWATCHER_QUEUE_WORKER_ID": id, "IPWATCHER_QUEUE_LEASE": "2"]
            }
            try await withDaemon(arguments, in: scratch, extraEnvironment: environment("survivor")) { survivor in
                var leftBehind: [String] = []
                try await withDaemon(arguments, in: scratch, extraEnvironment: environment("victim")) { victim in
                    try await waitUntil("the victim holds a batch", within: .seconds(30), every: .milliseconds(1)) {
                        guard try await Self.queueLength(redis) <= entries.count - 3_000 else { return false }
                        return !(try await redis.allKeys(matching: "ipwatcher:processing:victim*")).isEmpty
                    }
                    victim.deliver(SIGKILL)
                    _ = try await victim.waitForExit(within: .seconds(5))
                    leftBehind = try await redis.allKeys(matching: "ipwatcher:processing:victim*")
                }
                #expect(!leftBehind.isEmpty, "the kill caught no batch in hand; the test proved nothing")
                try await waitUntil("the survivor drains the queue and the victim's batches", within: .seconds(60)) {
                    let left = try await redis.allKeys(matching: "ipwatcher:processing*")
                    return try await Self.queueLength(redis) == 0 && left.isEmpty
                }
                try await waitUntil("the victim is forgotten") {
                    try await redis.send("HEXISTS", "ipwatcher:workers", "victim").int == 0
                }
                if !leftBehind.isEmpty {
                    #expect(survivor.standardError.contains("taking over the unfinished batches"))
                }
            }
            let surplus = Self.expectNothingLost(try await redis.countsPerUnit())
            print("kill -9 of one of two workers: the survivor took over; \(surplus) entries counted twice")
        }
    }
}
