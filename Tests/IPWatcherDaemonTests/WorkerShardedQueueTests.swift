import Detection
import Foundation
import IPWatcherTestSupport
import RESP
import RedisClient
import Testing

@testable import IPWatcherDaemon

/// A sharded queue on one redis-server, with either delivery: every shard is drained, counts are exact.
@Suite("Worker: a sharded queue on one server", .needsRedisServer, .timeLimit(.minutes(10)), .measuresTime)
struct WorkerShardedQueueTests {
    static let shards = QueueShards(baseKey: "ips", count: 4)

    static func settings(_ delivery: WorkerSettings.Delivery) -> WorkerSettings {
        var settings = WorkerSettings.forTests
        settings.queueShards = Self.shards.count
        settings.delivery = delivery
        settings.batchSize = 100
        settings.detection.singleRule.windowSeconds = 3600
        return settings
    }

    @Test(
        "entries pushed to every shard are all counted exactly, and at-least-once leaves no processing hash behind",
        arguments: [WorkerSettings.Delivery.atLeastOnce, .atMostOnce])
    func drainsEveryShard(delivery: WorkerSettings.Delivery) async throws {
        try await withWorker(Self.settings(delivery)) { run in
            var expected: [String: Int] = [:]
            var byShard: [String: [String]] = [:]
            for index in 0..<400 {
                let address = "192.0.2.\(index % 200)"
                expected[address, default: 0] += 1
                byShard[Self.shards.key(forEntry: address), default: []].append(address)
            }
            #expect(byShard.count == 4, "the addresses should reach every shard: \(byShard.keys.sorted())")
            for (key, entries) in byShard { try await run.redis.push(entries, to: key) }
            try await run.waitUntilHandled(400)
            #expect(try await run.redis.countsPerUnit() == expected)
            for key in Self.shards.keys { #expect(try await run.redis.send("LLEN", key).int == 0) }
            try await waitUntil("every batch is released") {
                try await run.redis.allKeys(matching: "ipwatcher:processing*").isEmpty
            }
        }
    }

    @Test("a shard that fills while the worker blocks on another is noticed within the sharded block limit")
    func quietShardIsNoticed() async throws {
        var settings = Self.settings(.atLeastOnce)
        // A block far longer than the bound checked below, so that a loaded machine cannot blur the two.
        settings.blockTimeout = .seconds(20)
        try await withWorker(settings) { run in
            try await Task.sleep(for: .milliseconds(300))
            // Whichever shard the worker blocks on, three of four are others; push to each in turn.
            for key in Self.shards.keys {
                let before = run.totals.counted
                let pushed = ContinuousClock.now
                try await run.redis.push(["198.51.100.7"], to: key)
                try await run.waitForTotals("the entry in \(key) is counted", within: .seconds(10)) { $0.counted > before }
                // Not the configured 20 s block: at most about 100 ms plus a round of moves.
                #expect(ContinuousClock.now - pushed < .seconds(5), "\(key) waited for the block timeout")
            }
        }
    }
}

/// The cursor that makes every shard take its turn.
@Suite("Shard cursor")
struct ShardCursorTests {
    @Test("a round starts at the cursor, and asking a shard moves the cursor past it")
    func rounds() {
        let cursor = ShardCursor(count: 3)
        #expect(cursor.round == [0, 1, 2])
        cursor.settled(0)
        #expect(cursor.round == [1, 2, 0])
        cursor.settled(2)
        #expect(cursor.current == 0)
        #expect(cursor.round == [0, 1, 2])
    }

    struct Refused: Error {}

    @Test("firstResult passes over a failing shard, throws only when no shard gave a result, and moves past each")
    func firstResultPassesOverFailures() async throws {
        let cursor = ShardCursor(count: 3)
        let found = try await cursor.firstResult { shard -> Int? in
            if shard == 0 { throw Refused() }
            return shard == 1 ? 1 : nil
        }
        #expect(found == 1)
        #expect(cursor.current == 2)
        await #expect(throws: Refused.self) {
            _ = try await cursor.firstResult { shard -> Int? in
                if shard == 0 { throw Refused() }
                return nil
            }
        }
        #expect(cursor.current == 2, "a full round ends where it began")
        #expect(try await cursor.firstResult { _ -> Int? in nil } == nil)
    }
}
