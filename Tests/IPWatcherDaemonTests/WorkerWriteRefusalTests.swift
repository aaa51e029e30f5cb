import Detection
import Foundation
import NIOCore
@testable import IPWatcherDaemon
import RedisClient
import Synchronization
import Testing
import IPWatcherTestSupport
import Traffic

/// A batch is counted once, however often its writes are tried: when Redis refuses a later step for a lasting
/// reason (a blocklist key of the wrong type), when connections are cut in the middle of writes, and when a
/// counter call is repeated after its reply was lost. Refusals hold the batch, say so in `/healthz` and the
/// metrics, and the worker resumes by itself once the cause is gone.
@Suite("Worker: batch writes are idempotent, refusals hold the batch", .needsRedisServer, .timeLimit(.minutes(10)))
struct WorkerWriteRefusalTests {
    /// Fifty users with one request each and one bot with 20, as one batch.
    static let users = (1...50).map { "198.51.100.\($0)" }
    static let bot = "203.0.113.9"
    static var entries: [String] { users + Array(repeating: bot, count: 20) }

    static func settings(_ mode: DetectionRule.Mode) -> WorkerSettings {
        var settings = WorkerSettings.forTests(mode: mode)
        settings.detection.singleRule.windowSeconds = 3600
        settings.detection.singleRule.threshold = 15
        settings.metricsListen = .anyLoopbackPort
        return settings
    }

    @Test(
        "a blocklist key holding a list holds the batch: every user's count stays 1 through the retries, /healthz says why, and the bot is blocked once the key is fixed",
        arguments: [DetectionRule.Mode.fixed, .rolling])
    func poisonedBlocklistCountsTheBatchOnce(mode: DetectionRule.Mode) async throws {
        try await withWorker(
            Self.settings(mode),
            beforeStart: { redis in
                _ = try await redis.send("LPUSH", "blocklist", "poison").throwingServerError()
                try await redis.push(Self.entries)
            }
        ) { run in
            let refused = try await run.waitForTotals("Redis refuses the blocklist write three times") {
                $0.refusals[.blocklist, default: 0] >= 3
            }
            #expect(refused.refusing?.step == .blocklist)
            #expect(refused.refusing?.key == "blocklist")
            #expect(refused.refusing?.error.code == "WRONGTYPE")
            #expect(refused.counted == 0, "a held batch is not reported as counted")

            let port = try await run.metricsPort()
            let health = try await HTTPTestClient.send("/healthz", port: port)
            #expect(health.status == 503)
            #expect(health.body.contains("blocklist") && health.body.contains("WRONGTYPE"), "\(health.body)")
            let samples = PrometheusSamples(try await HTTPTestClient.send("/metrics", port: port).body)
            #expect((samples[#"ipwatcher_write_refusals_total{step="blocklist"}"#] ?? 0) >= 3)
            #expect(samples["ipwatcher_write_refused"] == 1)

            let held = try await run.redis.counts(mode: mode)
            #expect(held[Self.bot] == 20 || (mode == .rolling && held[Self.bot] == 16), "\(held)")
            for user in Self.users { #expect(held[user] == 1, "\(user) counted \(held[user] ?? 0) times") }
            #expect(try await run.redis.allKeys(matching: "ipwatcher:processing*").count >= 1, "the batch is kept")

            _ = try await run.redis.send("DEL", "blocklist")
            try await run.waitUntilHandled(Self.entries.count)
            #expect(try await run.redis.members(of: "blocklist") == [Self.bot])
            let after = try await run.redis.counts(mode: mode)
            #expect(after == held, "resuming counted nothing again")
            #expect(run.totals.refusing == nil)
            #expect(run.totals.blocked == 1)
            try await waitUntil("/healthz answers 200 again") {
                try await HTTPTestClient.send("/healthz", port: port).status == 200
            }
        }
    }

    @Test("the worker's connections cut again and again while 200 addresses × 60 requests drain: every count is exactly 60")
    func cutConnectionsNeverCountTwice() async throws {
        var settings = WorkerSettings.forTests
        settings.detection.singleRule.windowSeconds = 3600
        settings.detection.singleRule.threshold = 1000
        settings.batchSize = 100
        let addresses = (0..<200).map { "10.9.\($0 / 100).\($0 % 100)" }
        var shuffled = addresses.flatMap { Array(repeating: $0, count: 60) }
        var generator = SplitMix64(seed: 7)
        shuffled.shuffle(using: &generator)
        let entries = shuffled
        // Everything is queued before the worker starts: a push whose reply a cut lost would be pushed twice.
        try await withWorker(settings, beforeStart: { try await $0.push(entries) }) { run in
            let killed = try await run.cuttingConnections(untilCounted: entries.count)
            print("cut connections: \(killed) connections killed while \(entries.count) entries drained")
            #expect(killed >= 10, "the test cut too few connections to mean anything")
            let counts = try await run.redis.counts(mode: .fixed)
            #expect(counts.count == addresses.count)
            let wrong = counts.filter { $0.value != 60 }
            #expect(wrong.isEmpty, "counted other than 60 times: \(wrong.sorted { $0.key < $1.key })")
        }
    }
}

/// A counter call repeated with the same batch adds nothing, and a counter Redis refuses undoes its call, against
/// a real redis-server and without the worker loop around them.
@Suite("Counters: one call per chunk, all or nothing, once", .needsRedisServer, .timeLimit(.minutes(10)))
struct WindowCounterIdempotenceTests {
    static func batch(_ entries: [String], mode: DetectionRule.Mode, processor: inout BatchProcessor) -> PreparedBatch {
        var detection = DetectionSettings()
        detection.singleRule.mode = mode
        detection.singleRule.windowSeconds = 3600
        detection.singleRule.threshold = 1000
        return processor.prepare(entries.map { ByteBuffer(string: $0) }, detection: detection, now: nowMilliseconds())
    }

    /// 2,500 addresses (three chunks of fixed counters), the first 100 twice.
    static let entries = (0..<2500).map { "10.8.\($0 / 250).\($0 % 250)" } + (0..<100).map { "10.8.0.\($0)" }

    @Test("repeating every counter call of a batch, as a retry after lost replies does, counts each entry once", arguments: [DetectionRule.Mode.fixed, .rolling])
    func repeatedCallsCountOnce(mode: DetectionRule.Mode) async throws {
        try await withRedisServer { server in
            try await withRouter(server.url) { router in
                var processor = BatchProcessor(
                    client: router, settings: .forTests, statistics: WorkerStatistics(), logger: workerTestLogger)
                let batch = Self.batch(Self.entries, mode: mode, processor: &processor)
                let first = try await count(batch, mode: mode, on: router)
                let again = try await count(batch, mode: mode, on: router)
                #expect(first.count == 2500)
                #expect(again.map(\.after) == first.map(\.after), "a repeat reports the counts as they are")
                let counts = try await withConnection(server.url) { try await $0.counts(mode: mode) }
                #expect(counts.count == 2500)
                #expect(counts.filter { $0.key.hasPrefix("10.8.0.") && Int($0.key.split(separator: ".").last!)! < 100 }
                    .allSatisfy { $0.value == 2 })
                #expect(counts.values.reduce(0, +) == Self.entries.count)
            }
        }
    }

    @Test("a counter of the wrong type refuses its chunk whole, naming the key; once it is gone the chunk counts once")
    func wrongTypeCounterRefusesTheWholeChunk() async throws {
        try await withRedisServer { server in
            try await withRouter(server.url) { router in
                var processor = BatchProcessor(
                    client: router, settings: .forTests, statistics: WorkerStatistics(), logger: workerTestLogger)
                let batch = Self.batch(Self.entries, mode: .fixed, processor: &processor)
                let window = batch.detection.singleRule.fixedWindow.index(of: batch.now)
                // A key in the middle of the second chunk of 1,000 units.
                let poisoned = batch.counters[0].groups[1500]
                let poisonedKey = KeySchema().fixedCounterKey(
                    unitName: poisoned.unit.name, windowSeconds: 3600, windowIndex: window)
                try await withConnection(server.url) { redis in
                    _ = try await redis.send("LPUSH", poisonedKey, "x").throwingServerError()
                    do {
                        _ = try await count(batch, mode: .fixed, on: router)
                        Issue.record("the poisoned chunk was accepted")
                    } catch let refusal as BatchWriteRefusal {
                        #expect(refusal.step == .counters)
                        #expect(refusal.key == poisonedKey)
                        #expect(refusal.error.code == "WRONGTYPE")
                    }
                    let partial = try await redis.counts(mode: .fixed)
                    // Chunks 0 and 2 went through; chunk 1 left no trace (its undone counters read 0).
                    let accepted = (batch.counters[0].groups[..<1000] + batch.counters[0].groups[2000...]).reduce(0) { $0 + $1.count }
                    #expect(partial.values.reduce(0, +) == accepted)
                    for group in batch.counters[0].groups[1000..<2000] {
                        #expect((partial[group.unit.name] ?? 0) == 0, "\(group.unit.name) of the refused chunk kept a count")
                    }
                    _ = try await redis.send("DEL", poisonedKey)
                    let counted = try await count(batch, mode: .fixed, on: router)
                    #expect(counted.count == 2500)
                    let final = try await redis.counts(mode: .fixed)
                    #expect(final.count == 2500)
                    #expect(final.values.reduce(0, +) == Self.entries.count)
                }
            }
        }
    }

    private func count(_ batch: PreparedBatch, mode: DetectionRule.Mode, on router: RedisRouter) async throws
        -> [WindowCount]
    {
        switch mode {
        case .fixed, .sliding: try await FixedWindowCounter(keys: KeySchema()).count(batch.counters[0], on: router)
        case .rolling: try await RollingWindowCounter(keys: KeySchema()).count(batch.counters[0], on: router)
        }
    }
}

/// Runs `body` with a router over a client of its own on `url`, running in a child task.
func withRouter<Result: Sendable>(
    _ url: String, _ body: @escaping @Sendable (RedisRouter) async throws -> Result
) async throws -> Result {
    let client = RedisServerClient(
        endpoint: try RedisEndpoint(url: url),
        configuration: RedisConnectionConfiguration(connectTimeout: .seconds(5), commandTimeout: .seconds(5)))
    return try await withThrowingTaskGroup(of: Void.self, returning: Result.self) { group in
        group.addTask { try await client.run() }
        defer { group.cancelAll() }
        return try await body(RedisRouter(.server(client)))
    }
}

extension RedisConnection {
    /// Each unit's count: summed over its fixed-window counters, or the events of its rolling log. IPv4 only: the
    /// unit is what follows the key's last colon.
    func counts(mode: DetectionRule.Mode) async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        switch mode {
        case .fixed, .sliding:
            for key in try await allKeys(matching: "ipwatcher:fixed:*") {
                let unit = String(key.split(separator: ":").last ?? "")
                // A key of another type (a test's poison) counts as 0.
                counts[unit, default: 0] += Int((try? await send("GET", key))?.string ?? "0") ?? 0
            }
        case .rolling:
            for key in try await allKeys(matching: "ipwatcher:rolling:*") {
                counts[String(key.split(separator: ":").last ?? ""), default: 0] = try await rollingEvents(at: key).count
            }
        }
        return counts
    }
}
