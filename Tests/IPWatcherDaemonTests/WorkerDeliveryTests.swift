import Detection
import Foundation
@testable import IPWatcherDaemon
import RedisClient
import Testing
import IPWatcherTestSupport

/// At-least-once delivery: each batch lives in a processing hash of the worker's own until its counts are
/// written; a start counts what an earlier run left there. At-most-once pops plainly and keeps nothing.
@Suite("Worker: delivery (processing hash)", .needsRedisServer, .timeLimit(.minutes(10)))
struct WorkerDeliveryTests {
    static let workerID = "test-worker"
    static let keys = KeySchema()
    static var indexKey: String { keys.processingKey(workerID: workerID) }
    static var landingKey: String { keys.landingKey(workerID: workerID) }

    static func settings(_ delivery: WorkerSettings.Delivery) -> WorkerSettings {
        var settings = WorkerSettings.forTests
        settings.delivery = delivery
        settings.workerID = workerID
        settings.batchSize = 100
        settings.detection.singleRule.windowSeconds = 3600
        return settings
    }

    /// `count` addresses of 198.51.100.0/24 and 203.0.113.0/24, each pushed `hits` times, shuffled.
    static func traffic(addresses count: Int, hits: Int) -> [String] {
        var entries: [String] = []
        for index in 0..<count {
            let address = index < 256 ? "198.51.100.\(index)" : "203.0.113.\(index - 256)"
            entries += Array(repeating: address, count: hits)
        }
        return entries.shuffled()
    }

    @Test("at-least-once: every written batch is released, so no processing list outlives its batch")
    func writtenBatchesLeaveNoProcessingLists() async throws {
        try await withWorker(Self.settings(.atLeastOnce)) { run in
            let entries = Self.traffic(addresses: 100, hits: 10)
            for chunk in stride(from: 0, to: entries.count, by: 250) {
                try await run.redis.push(Array(entries[chunk..<min(chunk + 250, entries.count)]))
            }
            let totals = try await run.waitUntilHandled(entries.count)
            #expect(totals.counted == entries.count)
            try await waitUntil("the processing lists are gone") {
                (try? await run.redis.allKeys(matching: "ipwatcher:processing:*"))?.isEmpty == true
            }
            #expect(try await run.redis.counterTotal() == entries.count)
        }
    }

    @Test("at-most-once pops plainly: no processing list is ever written")
    func atMostOnceKeepsNoProcessingList() async throws {
        try await withWorker(Self.settings(.atMostOnce)) { run in
            let entries = Self.traffic(addresses: 50, hits: 4)
            try await run.redis.push(entries)
            try await run.waitUntilHandled(entries.count)
            #expect(try await run.redis.allKeys(matching: "ipwatcher:processing*") == [])
            #expect(try await run.redis.counterTotal() == entries.count)
        }
    }

    @Test("a start first counts the batches an earlier run left unfinished, then releases them")
    func startRecoversUnfinishedBatches() async throws {
        let leftOver = Array(repeating: "198.51.100.9", count: 15)
        let second = ["192.0.2.1", "192.0.2.2", "not-an-address"]
        try await withWorker(Self.settings(.atLeastOnce)) { redis in
            // What a worker killed mid-stream leaves: two batches in hand, an entry in the landing list, and
            // (written by something else) a field whose value is not a batch.
            try await redis.storeBatch(leftOver, named: "crashed-run-1", in: Self.indexKey)
            try await redis.storeBatch(second, named: "crashed-run-2", in: Self.indexKey)
            _ = try await redis.send("HSET", Self.indexKey, "crashed-run-3", "not msgpack").throwingServerError()
            _ = try await redis.send("RPUSH", Self.landingKey, "192.0.2.3").throwingServerError()
        } _: { run in
            let totals = try await run.waitForTotals("the left-over entries are recovered") {
                // 15 + 2 valid recovered entries, and the landing list's one, taken by the first pop.
                $0.recovered == leftOver.count + second.count && $0.counted == 15 + 2 + 1
            }
            #expect(totals.rejected == [.notAnAddress: 1])
            #expect(try await run.redis.isMember("198.51.100.9", of: "blocklist"))
            try await waitUntil("the processing hash and landing list are gone") {
                (try? await run.redis.allKeys(matching: "ipwatcher:processing:*"))?.isEmpty == true
            }
            #expect(try await run.redis.counterTotal() == 15 + 2 + 1)
        }
    }

    @Test("the move script is safe to repeat: a second call for the same batch returns it and takes nothing more")
    func repeatedTakeReturnsTheSameBatch() async throws {
        try await withRedisConnection { _, redis in
            func take(_ name: String, most: Int, side: String = "LEFT") async throws -> [String] {
                let reply = try await redis.send(
                    "EVAL", ProcessingQueuePopper.takeScript.source, 3, "ips", Self.indexKey, Self.landingKey,
                    most, side, name, PopArguments.cutLength
                ).throwingServerError()
                return reply.array.map { $0.compactMap(\.string) } ?? []
            }
            _ = try await redis.send("RPUSH", "ips", (1...10).map { "192.0.2.\($0)" }).throwingServerError()

            let taken = try await take("run-1", most: 4)
            #expect(taken == ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"])
            #expect(try await take("run-1", most: 4) == taken, "a repeated call must return the same batch")
            #expect(try await redis.listContents("ips").count == 6, "a repeated call must not pop again")

            // The landing list's entry was popped before anything still queued: it comes first.
            _ = try await redis.send("RPUSH", Self.landingKey, "192.0.2.99").throwingServerError()
            #expect(try await take("run-2", most: 3, side: "RIGHT") == ["192.0.2.99", "192.0.2.10", "192.0.2.9"])
            #expect(try await redis.listContents(Self.landingKey) == [])

            let names = try await redis.send("HKEYS", Self.indexKey).array.map { $0.compactMap(\.string) }
            #expect(names?.sorted() == ["run-1", "run-2"])

            // Entries are bytes: an empty one and one with NUL and high bytes survive the packing.
            _ = try await redis.send("DEL", "ips").throwingServerError()
            _ = try await redis.send("RPUSH", "ips", "", "a\u{0}b\u{FF}").throwingServerError()
            #expect(try await take("run-3", most: 5) == ["", "a\u{0}b\u{FF}"])
            #expect(try await take("run-3", most: 5) == ["", "a\u{0}b\u{FF}"])

            #expect(try await take("run-4", most: 5) == [])
            #expect(try await redis.send("HEXISTS", Self.indexKey, "run-4").int == 0, "an empty take stores nothing")
        }
    }

    @Test("a batch of 12,500 entries moves in one call despite Lua's unpack limit")
    func largeBatchMovesWhole() async throws {
        var settings = Self.settings(.atLeastOnce)
        settings.batchSize = 20_000
        try await withWorker(settings) { run in
            let entries = Self.traffic(addresses: 500, hits: 25)
            try await run.redis.push(entries)
            let totals = try await run.waitUntilHandled(entries.count)
            #expect(totals.counted == entries.count)
            #expect(totals.batches <= 2, "12,500 entries pushed at once are one or two batches, not \(totals.batches)")
            #expect(try await run.redis.counterTotal() == entries.count)
        }
    }

    @Test("the default worker id is the host name and a hash that is the same for the same queue and prefix")
    func defaultWorkerIDIsStable() {
        let first = WorkerID.defaultID(queueKey: "ips", keyPrefix: "ipwatcher:")
        #expect(first == WorkerID.defaultID(queueKey: "ips", keyPrefix: "ipwatcher:"))
        #expect(first != WorkerID.defaultID(queueKey: "other", keyPrefix: "ipwatcher:"))
        #expect(first.hasPrefix(WorkerID.hostName().isEmpty ? "worker-" : String(WorkerID.hostName().prefix(3))))
        #expect(WorkerID.problem(with: first) == nil)
        #expect(WorkerID.problem(with: "") != nil)
        #expect(WorkerID.problem(with: "a b") != nil)
        #expect(WorkerID.problem(with: "ns:{x}") != nil)
        #expect(WorkerID.problem(with: String(repeating: "w", count: 129)) != nil)
        #expect(WorkerID.problem(with: "web-1.example_2@dc") == nil)
    }
}

extension RedisConnection {
    /// Stores `entries` as an unfinished batch `name` of the processing hash `key`, as the move script does.
    func storeBatch(_ entries: [String], named name: String, in key: String) async throws {
        _ = try await send(
            "EVAL", "redis.call('HSET', KEYS[1], ARGV[1], cmsgpack.pack({unpack(ARGV, 2)}))", 1, key, name, entries
        ).throwingServerError()
    }

    /// The sum of every fixed-window counter the worker wrote.
    func counterTotal() async throws -> Int {
        try await countsPerUnit().values.reduce(0, +)
    }

    /// Each unit's count summed over every fixed window it has a counter in (a run may straddle a window
    /// boundary). Only for IPv4 units: the unit is what follows the key's last colon.
    func countsPerUnit() async throws -> [String: Int] {
        try await counts(mode: .fixed)
    }
}
