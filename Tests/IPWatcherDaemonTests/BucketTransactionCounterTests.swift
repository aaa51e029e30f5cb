import Detection
import IPWatcherTestSupport
import RESP
import RedisClient
import Testing

@testable import IPWatcherDaemon

/// `counters: buckets` on a single server writes each chunk of units as one `MULTI`/`EXEC` block: these pin the
/// two paths a retry takes — a block whose reply was lost is not counted again, and a block Redis refused in part
/// is undone, so that the retry after the cause is gone counts every unit exactly once.
///
/// The time limit includes the wait at the load gate behind the timing tests, which took over two minutes in CI.
@Suite("Counters in buckets: MULTI/EXEC blocks", .needsRedisServer, .timeLimit(.minutes(10)))
struct BucketTransactionCounterTests {
    static let keys = KeySchema()
    /// Hashes per window: few, so hashes hold several units and chunks share them.
    static let buckets = 4

    /// 2,500 units in an hour-long window far from now (3 chunks of at most 1,000), unit i counted i % 7 + 1 times.
    static func batch(tag: String, ledger: inout BucketExpiryLedger) -> CounterBatch {
        let window = FixedWindow(lengthSeconds: 3600)
        let now = WallClock().nowMilliseconds()
        let index = window.index(of: now)
        let groups = (0..<2500).map { i in
            UnitCount(
                unit: DetectionUnit(network: IPNetwork("10.1.\(i / 256).\(i % 256)/32")!), windowIndex: index,
                count: i % 7 + 1)
        }
        var batch = CounterBatch(
            counter: RuleCounter(mode: .fixed, windowSeconds: 3600), rules: [0], rollingCap: 1, groups: groups, tag: tag,
            now: now)
        batch.buckets = ledger.slots(for: groups, windowSeconds: 3600, buckets: buckets)
        return batch
    }

    /// Runs `body` with a router and a connection of the test's own to a private server, a fresh 2,500-unit batch
    /// tagged `t-1`, the counter, the entries the batch counts, and the ledger that slotted it.
    static func withBatch(
        _ body: @escaping @Sendable (
            _ router: RedisRouter, _ redis: RedisConnection, _ batch: CounterBatch, _ counter: BucketTransactionCounter,
            _ expected: Int, _ ledger: inout BucketExpiryLedger
        ) async throws -> Void
    ) async throws {
        try await withRedisServer { server in
            try await withConnection(server.url) { redis in
                let client = RedisServerClient(endpoint: try RedisEndpoint(url: server.url))
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await client.run() }
                    defer { group.cancelAll() }
                    var ledger = BucketExpiryLedger()
                    ledger.refresh(now: WallClock().nowMilliseconds())
                    let batch = Self.batch(tag: "t-1", ledger: &ledger)
                    try await body(
                        RedisRouter(.server(client)), redis, batch, BucketTransactionCounter(keys: keys, buckets: buckets),
                        batch.groups.reduce(0) { $0 + $1.count }, &ledger)
                }
            }
        }
    }

    @Test("a retry after a lost reply finds each block's marker and only reads the counts")
    func resumingCountsNothingTwice() async throws {
        try await Self.withBatch { router, redis, batch, counter, expected, ledger in
            let first = try #require(try await counter.count(batch, on: router, resuming: false))
            #expect(first.count == 2500)
            #expect(first.allSatisfy { $0.before == 0 && $0.after == $0.group.count })
            let stored = try await Self.stored(batch, on: redis)
            #expect(stored.sum == expected && stored.fields == 2500)
            for bucket in 0..<Self.buckets {
                let key = Self.keys.bucketKey(
                    windowSeconds: 3600, windowIndex: batch.groups[0].windowIndex, bucket: bucket)
                #expect((try await redis.send("PTTL", key).int ?? -1) > 0, "\(key) has no expiry")
            }

            // The same batch again, as after a reply lost on the way back: nothing is added.
            let again = try #require(try await counter.count(batch, on: router, resuming: true))
            #expect(again.map(\.after) == first.map(\.after))
            #expect(try await Self.stored(batch, on: redis).sum == expected)

            // Resuming a batch that never reached Redis counts it.
            let other = Self.batch(tag: "t-2", ledger: &ledger)
            let resumed = try #require(try await counter.count(other, on: router, resuming: true))
            #expect(resumed.allSatisfy { $0.after == 2 * $0.group.count && $0.before == $0.group.count })
            let twice = try await Self.stored(batch, on: redis)
            #expect(twice.sum == 2 * expected && twice.fields == 2500)
        }
    }

    @Test("a hash of another type: every block that touches it is undone, and the retry counts each unit once")
    func refusedBlockIsUndoneAndRetriedOnce() async throws {
        try await Self.withBatch { router, redis, batch, counter, expected, _ in
            // Bucket 3 of the window is a string: every block has units there, so every block is refused in
            // part and undone.
            let poisoned = Self.keys.bucketKey(
                windowSeconds: 3600, windowIndex: batch.groups[0].windowIndex, bucket: 3)
            _ = try await redis.send("SET", poisoned, "not a hash")

            let refusal = await #expect(throws: BatchWriteRefusal.self) {
                try await counter.count(batch, on: router, resuming: false)
            }
            #expect(refusal?.key == poisoned)
            #expect(refusal?.error.code == "WRONGTYPE")
            let sum = try await Self.stored(batch, on: redis, skipping: 3).sum
            #expect(sum == 0, "the refused blocks left \(sum) counted")
            for chunk in 0..<3 {
                let marker = Self.keys.appliedKey(batchTag: "t-1", chunk: chunk)
                #expect(Int(try await redis.send("GET", marker).string ?? "0") == 0, "\(marker)")
            }

            _ = try await redis.send("DEL", poisoned)
            let counts = try #require(try await counter.count(batch, on: router, resuming: true))
            #expect(counts.count == 2500)
            #expect(counts.allSatisfy { $0.after == $0.group.count && $0.before == 0 })
            #expect(try await Self.stored(batch, on: redis).sum == expected)
        }
    }

    /// The sum of every field of every bucket hash of the batch's window but `skipped` (which may not be a hash),
    /// and the number of fields.
    static func stored(_ batch: CounterBatch, on redis: RedisConnection, skipping skipped: Int? = nil) async throws -> (
        sum: Int, fields: Int
    ) {
        var sum = 0
        var fields = 0
        for bucket in 0..<buckets where bucket != skipped {
            let key = keys.bucketKey(windowSeconds: 3600, windowIndex: batch.groups[0].windowIndex, bucket: bucket)
            let values = try await redis.send("HVALS", key).array.map(Array.init) ?? []
            fields += values.count
            sum += values.reduce(0) { $0 + (Int($1.string ?? "") ?? 0) }
        }
        return (sum, fields)
    }
}
