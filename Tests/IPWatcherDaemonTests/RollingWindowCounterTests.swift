import Detection
import IPWatcherTestSupport
import NIOCore
import RESP
import RedisClient
import Testing

@testable import IPWatcherDaemon

/// The rolling counter's script against a real redis-server, without the worker loop around it: what the packed
/// log holds, how it trims and caps, and the sorted sets it still keeps.
@Suite("Rolling counter: packed logs, trimmed, capped, and sorted sets kept", .needsRedisServer, .timeLimit(.minutes(10)))
struct RollingWindowCounterTests {
    static let windowSeconds = 3600

    static func batch(
        _ entries: [String], threshold: Int, now: Int64, processor: inout BatchProcessor
    ) -> PreparedBatch {
        var detection = DetectionSettings()
        detection.singleRule.mode = .rolling
        detection.singleRule.windowSeconds = windowSeconds
        detection.singleRule.threshold = threshold
        return processor.prepare(entries.map { ByteBuffer(string: $0) }, detection: detection, now: now)
    }

    static func key(_ unit: String) -> String {
        KeySchema().rollingKey(unitName: unit, windowSeconds: windowSeconds)
    }

    /// Prepares `entries` and counts them with the rolling counter, as the worker's batch processor does.
    static func count(
        _ entries: [String], threshold: Int = 1000, now: Int64, on router: RedisRouter
    ) async throws -> [WindowCount] {
        var processor = BatchProcessor(
            client: router, settings: .forTests, statistics: WorkerStatistics(), logger: workerTestLogger)
        let batch = Self.batch(entries, threshold: threshold, now: now, processor: &processor)
        return try await RollingWindowCounter(keys: KeySchema()).count(batch.counters[0], on: router)
    }

    @Test("the log holds the events' own times, ascending whatever order they came in, capped to the newest threshold+1")
    func outOfOrderEventsAreSortedAndCapped() async throws {
        let now = nowMilliseconds()
        let times = [now - 5000, now - 9000, now - 1000, now - 7000, now - 3000, now - 8000, now - 2000, now - 4000]
        try await withRedisServer { server in
            try await withRouter(server.url) { router in
                let counts = try await Self.count(
                    times.map { "198.51.100.1 \($0)" }, threshold: 5, now: now, on: router)
                #expect(counts.map(\.before) == [0])
                #expect(counts.map(\.after) == [8], "after counts the events before the cap drops the oldest")
                try await withConnection(server.url) { (redis: RedisConnection) async throws in
                    #expect(try await redis.send("TYPE", Self.key("198.51.100.1")).string == "string")
                    #expect(try await redis.rollingEvents(at: Self.key("198.51.100.1")) == Array(times.sorted().suffix(6)))
                    let ttl = try #require(try await redis.send("PTTL", Self.key("198.51.100.1")).int)
                    #expect(ttl > 0 && ttl <= Int64(Self.windowSeconds) * 1000)
                }
            }
        }
    }

    @Test("events that left the window are dropped when the unit is next counted, and are not in its count before")
    func expiredEventsAreTrimmed() async throws {
        let now = nowMilliseconds()
        let window = Int64(Self.windowSeconds) * 1000
        let old = [now - window - 2000, now - window - 1]
        let recent = [now - window + 10, now - 60_000]
        try await withRedisServer { server in
            try await withConnection(server.url) { redis in
                let log = ByteBuffer(bytes: RollingEventLog.encode(old + recent))
                _ = try await redis.send("SET", Self.key("198.51.100.2"), log).throwingServerError()
            }
            try await withRouter(server.url) { router in
                let counts = try await Self.count(["198.51.100.2 \(now - 10)", "198.51.100.2"], now: now, on: router)
                #expect(counts.map(\.before) == [2])
                #expect(counts.map(\.after) == [4])
            }
            try await withConnection(server.url) { (redis: RedisConnection) async throws in
                #expect(try await redis.rollingEvents(at: Self.key("198.51.100.2")) == recent + [now - 10, now])
            }
        }
    }

    @Test("a window kept as a sorted set before the packed layout goes on counting as one, losing nothing")
    func sortedSetFromBeforeTheUpgradeKeepsCounting() async throws {
        let now = nowMilliseconds()
        try await withRedisServer { server in
            try await withConnection(server.url) { redis in
                _ = try await redis.send(
                    "ZADD", Self.key("198.51.100.3"), now - 3000, "\(now - 3000):old:1:1", now - 2000,
                    "\(now - 2000):old:1:2"
                ).throwingServerError()
            }
            try await withRouter(server.url) { router in
                let counts = try await Self.count(["198.51.100.3", "198.51.100.4"], now: now, on: router)
                #expect(counts.map(\.before) == [0, 2] || counts.map(\.before) == [2, 0])
                #expect(Set(counts.map(\.after)) == [1, 3])
            }
            try await withConnection(server.url) { (redis: RedisConnection) async throws in
                #expect(try await redis.send("TYPE", Self.key("198.51.100.3")).string == "zset")
                #expect(try await redis.rollingEvents(at: Self.key("198.51.100.3")) == [now - 3000, now - 2000, now])
                #expect(try await redis.send("TYPE", Self.key("198.51.100.4")).string == "string")
            }
        }
    }

    @Test("a rule whose cap exceeds the packed limit keeps sorted sets, capped alike")
    func largeCapKeepsSortedSets() async throws {
        let now = nowMilliseconds()
        let threshold = RollingEventLog.packedEventLimit
        let entries = (0..<(threshold + 10)).map { "198.51.100.5 \(now - 20_000 + Int64($0))" }
        try await withRedisServer { server in
            try await withRouter(server.url) { router in
                let counts = try await Self.count(entries, threshold: threshold, now: now, on: router)
                #expect(counts.map(\.after) == [threshold + 10])
            }
            try await withConnection(server.url) { (redis: RedisConnection) async throws in
                #expect(try await redis.send("TYPE", Self.key("198.51.100.5")).string == "zset")
                let kept = try await redis.rollingEvents(at: Self.key("198.51.100.5"))
                #expect(kept.count == threshold + 1)
                #expect(kept.last == now - 20_000 + Int64(threshold + 9))
            }
        }
    }

    @Test("a key of another type refuses its chunk whole, naming it; the chunk's other units are left untouched")
    func wrongTypeRefusesTheChunkUnwritten() async throws {
        let now = nowMilliseconds()
        let entries = (0..<150).map { "10.9.0.\($0)" }
        let poisoned = Self.key("10.9.0.77")
        try await withRedisServer { server in
            try await withConnection(server.url) { redis in
                _ = try await redis.send("HSET", poisoned, "f", "v").throwingServerError()
            }
            try await withRouter(server.url) { router in
                do {
                    _ = try await Self.count(entries, now: now, on: router)
                    Issue.record("the poisoned chunk was accepted")
                } catch let refusal as BatchWriteRefusal {
                    #expect(refusal.step == .counters)
                    #expect(refusal.key == poisoned)
                    #expect(refusal.error.code == "WRONGTYPE")
                }
                try await withConnection(server.url) { (redis: RedisConnection) async throws in
                    #expect(try await redis.allKeys(matching: "ipwatcher:rolling:*") == [poisoned])
                    #expect(try await redis.allKeys(matching: "ipwatcher:applied:*").isEmpty, "no marker was set")
                    _ = try await redis.send("DEL", poisoned)
                }
                let counts = try await Self.count(entries, now: now, on: router)
                #expect(counts.count == 150 && counts.allSatisfy { $0.before == 0 && $0.after == 1 })
            }
        }
    }
}
