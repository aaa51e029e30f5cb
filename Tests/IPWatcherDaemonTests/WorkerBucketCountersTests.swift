import Detection
import Foundation
import IPWatcherTestSupport
import NIOCore
import RESP
import RedisClient
import Synchronization
import Testing
import Traffic

@testable import IPWatcherDaemon

/// `detection.counters: buckets` with a real worker and redis-server: a window's fixed counters are fields of a
/// few hashes, every count lands in the hash its unit's bucket names, the hashes expire with their window, the
/// same units are blocked as with a key per unit, `blocklist explain` reads the hashes, a refused hash holds the
/// batch without counting half of it, connections cut mid-write never count an entry twice, and all of it works
/// with `redis.scripts: functions` too.
///
/// Every entry carries its time and the windows are an hour long, so one window holds them all however the worker
/// batches them, and no window ends between the push and the checks.
@Suite("Worker: fixed-window counters in bucket hashes", .needsRedisServer, .timeLimit(.minutes(10)))
struct WorkerBucketCountersTests {
    static let window = FixedWindow(lengthSeconds: 3600)
    static let keys = KeySchema()

    /// The single fixed rule of these tests: 15 in an hour, in `layout`.
    static func settings(_ layout: CounterLayout) -> WorkerSettings {
        var settings = WorkerSettings.forTests
        settings.detection.singleRule.windowSeconds = 3600
        settings.detection.singleRule.threshold = 15
        settings.detection.counters = layout
        return settings
    }

    /// 40 IPv4 addresses and 10 IPv6 /64s with 1 to 20 hits each, 7 of them over the threshold of 15, all stamped
    /// `time` and shuffled; with each unit's expected count.
    static func traffic(at time: Int64) -> (entries: [String], counts: [String: Int], bots: [String]) {
        var entries: [String] = []
        var counts: [String: Int] = [:]
        for index in 1...40 {
            let hits = index % 7 == 0 ? 15 + index % 6 : 1 + index % 14
            entries += Array(repeating: "198.51.100.\(index) \(time)", count: hits)
            counts["198.51.100.\(index)"] = hits
        }
        for index in 1...10 {
            let hits = index % 5 == 0 ? 16 : index
            // Two addresses of each /64: the unit is the network.
            for host in 0..<hits { entries.append("2001:db8:\(index)::\(host % 2 + 1) \(time)") }
            counts["2001:db8:\(index)::/64"] = hits
        }
        var random = SplitMix64(seed: 0xB0C4E7)
        entries.shuffle(using: &random)
        let bots = counts.filter { $0.value >= 15 }.map(\.key).sorted()
        return (entries, counts, bots)
    }

    @Test("counts land in the unit's bucket hash, sum to the entries counted, the hashes expire with the window, and the same units are blocked as with keys")
    func countsLandInTheirBuckets() async throws {
        let time = nowMilliseconds()
        let index = Self.window.index(of: time)
        let (entries, expected, bots) = Self.traffic(at: time)
        #expect(bots.count == 7)
        let buckets = 8

        let inBuckets = try await withWorker(Self.settings(.buckets(count: buckets))) { run in
            try await run.redis.push(entries)
            let totals = try await run.waitUntilHandled(entries.count)
            #expect(totals.counted == entries.count)
            #expect(totals.blocked == bots.count)

            let hashes = try await run.redis.counterHashes()
            let prefix = Self.keys.bucketKeyPrefix(windowSeconds: 3600, windowIndex: index)
            #expect(!hashes.isEmpty && hashes.count <= buckets, "\(hashes.keys.sorted())")
            for key in hashes.keys {
                let tag = key.dropFirst(prefix.count)
                #expect(key.hasPrefix(prefix) && tag.hasPrefix("{") && tag.hasSuffix("}"), "\(key)")
                #expect(Int(tag.dropFirst().dropLast()).map { (0..<buckets).contains($0) } == true, "\(key)")
            }
            #expect(hashes.values.reduce(0) { $0 + $1.values.reduce(0, +) } == entries.count)
            #expect(hashes.values.reduce(0) { $0 + $1.count } == expected.count, "one field per unit")
            for (unit, count) in expected {
                let home = Self.keys.bucketKey(
                    windowSeconds: 3600, windowIndex: index, bucket: CounterLayout.bucket(ofName: unit, count: buckets))
                #expect(hashes[home]?[unit] == count, "\(unit) in \(home): \(hashes[home]?[unit] ?? 0), not \(count)")
                let elsewhere = hashes.filter { $0.key != home && $0.value[unit] != nil }.map(\.key)
                #expect(elsewhere.isEmpty, "\(unit) also in \(elsewhere)")
            }
            // Several units share each hash: that is the point of the layout.
            #expect(hashes.values.contains { $0.count > 1 })
            for key in hashes.keys {
                #expect(try await run.redis.send("PEXPIRETIME", key).int == Self.window.counterExpiry(of: index), "\(key)")
                #expect((try await run.redis.send("PTTL", key).int ?? -1) > 0, "\(key)")
            }
            #expect(try await run.redis.allKeys(matching: "ipwatcher:fixed:*").isEmpty, "no key per unit")
            return (
                counts: hashes.values.reduce(into: [String: Int]()) { $0.merge($1) { $0 + $1 } },
                blocklist: try await run.redis.members(of: "blocklist"))
        }
        #expect(inBuckets.counts == expected)
        #expect(inBuckets.blocklist == bots)

        let inKeys = try await withWorker(Self.settings(.keys)) { run in
            try await run.redis.push(entries)
            try await run.waitUntilHandled(entries.count)
            #expect(try await run.redis.allKeys(matching: "ipwatcher:buckets:*").isEmpty)
            let prefix = Self.keys.fixedCounterKeyPrefix(windowSeconds: 3600, windowIndex: index)
            var counts: [String: Int] = [:]
            for key in try await run.redis.allKeys(matching: "ipwatcher:fixed:*") {
                counts[String(key.dropFirst(prefix.count))] = Int(try await run.redis.send("GET", key).string ?? "")
            }
            return (counts: counts, blocklist: try await run.redis.members(of: "blocklist"))
        }
        #expect(inKeys.counts == inBuckets.counts, "the two layouts count alike")
        #expect(inKeys.blocklist == inBuckets.blocklist, "the two layouts block alike")
    }

    @Test("blocklist explain reads a unit's count from its bucket hash, in-process and from the command line")
    func explainReadsTheHash() async throws {
        try await withScratchDirectory { scratch in
            let config = try scratch.write(
                """
                detection:
                  threshold: 5
                  window: 3600
                  counters: buckets
                  buckets: 8
                """, to: "ipwatcher.yaml")
            let settings = try await WorkerSettings.forTests(configurationFile: config)
            #expect(settings.detection.counters == .buckets(count: 8))
            try await withWorker(settings) { run in
                let time = nowMilliseconds()
                try await run.redis.push(hits("198.51.100.70 \(time)", 6) + hits("198.51.100.71 \(time)", 4))
                try await run.waitUntilHandled(10)
                #expect(try await run.redis.allKeys(matching: "ipwatcher:fixed:*").isEmpty)

                // In-process, at the entries' own time: no window boundary can interfere.
                let rule = settings.detection.singleRule
                for (address, count, blocked) in [("198.51.100.70", 6, true), ("198.51.100.71", 4, false), ("198.51.100.72", 0, false)] {
                    let ip = try #require(IPAddress(address))
                    let explanation = try await UnitExplanation.gather(
                        for: ip, unit: rule.unit(for: ip), settings: run.worker.settings, on: run.redis, now: time)
                    #expect(explanation.rules.first?.count == count, "\(address): \(explanation)")
                    #expect(explanation.isBlocked == blocked, "\(address)")
                    #expect(explanation.rules.first?.resetsAt == (count > 0 ? Self.window.end(of: Self.window.index(of: time)) : nil))
                    // The same read in the other layout finds nothing: the count comes from the hash.
                    var asKeys = run.worker.settings
                    asKeys.detection.counters = .keys
                    let elsewhere = try await UnitExplanation.gather(
                        for: ip, unit: rule.unit(for: ip), settings: asKeys, on: run.redis, now: time)
                    #expect(elsewhere.rules.first?.count == 0, "\(address)")
                }

                // The command reads detection.counters from the same file, at its own clock.
                let command = try await runIPWatcher(
                    ["blocklist", "explain", "198.51.100.70", "--json", "--config", config, "--redis-url", run.server.url],
                    in: scratch)
                let after = nowMilliseconds()
                #expect(command.outcome.status == 0, "\(command.stderr)")
                let object = try #require(
                    try JSONSerialization.jsonObject(with: Data(command.stdout.utf8)) as? [String: Any], "\(command.stdout)")
                let rules = try #require(object["rules"] as? [[String: Any]], "\(object)")
                let count = (rules.first?["count"] as? NSNumber)?.intValue
                if Self.window.index(of: after) == Self.window.index(of: time) {
                    #expect(count == 6, "\(command.stdout)")
                    #expect(object["blocked"] as? Bool == true)
                } else {
                    // The hour ended between the push and the command: its window is a new, empty one.
                    #expect(count == 0, "\(command.stdout)")
                }
            }
        }
    }

    @Test("a bucket hash of the wrong type holds the batch without a partial count anywhere; once it is gone the batch counts exactly once")
    func refusedHashHoldsTheBatch() async throws {
        let users = (1...50).map { "198.51.100.\($0)" }
        let bot = "203.0.113.9"
        let time = nowMilliseconds()
        let index = Self.window.index(of: time)
        let entries = (users + hits(bot, 20)).map { "\($0) \(time)" }
        let buckets = 8
        let poisoned = Self.keys.bucketKey(
            windowSeconds: 3600, windowIndex: index, bucket: CounterLayout.bucket(ofName: bot, count: buckets))
        var settings = Self.settings(.buckets(count: buckets))
        settings.metricsListen = .anyLoopbackPort
        try await withWorker(
            settings,
            beforeStart: { redis in
                _ = try await redis.send("SET", poisoned, "poison").throwingServerError()
                try await redis.push(entries)
            }
        ) { run in
            let refused = try await run.waitForTotals("Redis refuses the counter write three times") {
                $0.refusals[.counters, default: 0] >= 3
            }
            #expect(refused.refusing?.step == .counters)
            #expect(refused.refusing?.key == poisoned)
            #expect(refused.refusing?.error.code == "WRONGTYPE")
            #expect(refused.counted == 0, "a held batch is not reported as counted")

            let port = try await run.metricsPort()
            let health = try await HTTPTestClient.send("/healthz", port: port)
            #expect(health.status == 503)
            #expect(health.body.contains(poisoned) && health.body.contains("WRONGTYPE"), "\(health.body)")
            let samples = PrometheusSamples(try await HTTPTestClient.send("/metrics", port: port).body)
            #expect((samples[#"ipwatcher_write_refusals_total{step="counters"}"#] ?? 0) >= 3)

            // Not half-counted: whatever the refused write added was undone (fields the undo leaves at 0 aside), and
            // no hash it touched is left without its window's expiry.
            let held = try await run.redis.counterHashes()
            let nonZero = held.values.flatMap { $0.filter { $0.value != 0 } }
            #expect(nonZero.isEmpty, "counted while the batch is held: \(nonZero)")
            for key in held.keys {
                #expect(try await run.redis.send("PEXPIRETIME", key).int == Self.window.counterExpiry(of: index), "\(key)")
            }
            #expect(try await run.redis.send("SCARD", "blocklist").int == 0)
            #expect(try await run.redis.allKeys(matching: "ipwatcher:processing*").count >= 1, "the batch is kept")

            _ = try await run.redis.send("DEL", poisoned)
            try await run.waitUntilHandled(entries.count)
            let hashes = try await run.redis.counterHashes()
            var counts: [String: Int] = [:]
            for fields in hashes.values { counts.merge(fields) { $0 + $1 } }
            #expect(counts[bot] == 20, "\(counts)")
            for user in users { #expect(counts[user] == 1, "\(user) counted \(counts[user] ?? 0) times") }
            #expect(counts.values.reduce(0, +) == entries.count)
            #expect(try await run.redis.members(of: "blocklist") == [bot])
            #expect(run.totals.refusing == nil)
            #expect(run.totals.blocked == 1)
            for key in hashes.keys {
                #expect(try await run.redis.send("PEXPIRETIME", key).int == Self.window.counterExpiry(of: index), "\(key)")
            }
            try await waitUntil("/healthz answers 200 again") {
                try await HTTPTestClient.send("/healthz", port: port).status == 200
            }
        }
    }

    @Test("the worker's connections cut again and again while 200 addresses × 60 requests drain: every count is exactly 60")
    func cutConnectionsNeverCountTwice() async throws {
        var settings = Self.settings(.buckets(count: 16))
        settings.detection.singleRule.threshold = 1000
        settings.batchSize = 100
        let time = nowMilliseconds()
        let addresses = (0..<200).map { "10.9.\($0 / 100).\($0 % 100)" }
        var shuffled = addresses.flatMap { Array(repeating: "\($0) \(time)", count: 60) }
        var generator = SplitMix64(seed: 17)
        shuffled.shuffle(using: &generator)
        let entries = shuffled
        // Everything is queued before the worker starts: a push whose reply a cut lost would be pushed twice.
        try await withWorker(settings, beforeStart: { try await $0.push(entries) }) { run in
            let killed = try await run.cuttingConnections(untilCounted: entries.count)
            print("bucket counters, cut connections: \(killed) connections killed while \(entries.count) entries drained")
            #expect(killed >= 10, "the test cut too few connections to mean anything")
            let hashes = try await run.redis.counterHashes()
            var counts: [String: Int] = [:]
            for fields in hashes.values { counts.merge(fields) { $0 + $1 } }
            #expect(counts.count == addresses.count)
            let wrong = counts.filter { $0.value != 60 }
            #expect(wrong.isEmpty, "counted other than 60 times: \(wrong.sorted { $0.key < $1.key })")
            let index = Self.window.index(of: time)
            for key in hashes.keys {
                #expect(try await run.redis.send("PEXPIRETIME", key).int == Self.window.counterExpiry(of: index), "\(key)")
            }
        }
    }

    @Test("with redis.scripts: functions buckets count exactly with no EVALSHA, and the library carries count_buckets")
    func countsAsAFunction() async throws {
        var settings = Self.settings(.buckets(count: 4))
        settings.scripts = .functions
        let time = nowMilliseconds()
        let (entries, expected, bots) = Self.traffic(at: time)
        try await withWorker(settings) { redis in
            let loaded = try await redis.send("FUNCTION", "LOAD", "REPLACE", IPWatcherFunctions.library.source)
            #expect(try loaded.throwingServerError().string == IPWatcherFunctions.library.libraryName)
            _ = try await redis.send("CONFIG", "RESETSTAT")
        } _: { run in
            let library = try await run.redis.send("FUNCTION", "LIST", "LIBRARYNAME", IPWatcherFunctions.library.libraryName)
            #expect("\(library)".contains("count_buckets"), "\(library)")
            try await run.redis.push(entries)
            try await run.waitUntilHandled(entries.count)
            let hashes = try await run.redis.counterHashes()
            var counts: [String: Int] = [:]
            for fields in hashes.values { counts.merge(fields) { $0 + $1 } }
            #expect(counts == expected)
            #expect(hashes.count <= 4)
            #expect(try await run.redis.members(of: "blocklist") == bots)
            let stats = try await run.redis.send("INFO", "commandstats").string ?? ""
            #expect(!stats.contains("cmdstat_evalsha:") && !stats.contains("cmdstat_script"), "\(stats)")
            let lines = stats.split(whereSeparator: \.isNewline)
            let fcall = lines.first { $0.hasPrefix("cmdstat_fcall:") } ?? ""
            #expect(fcall.contains("rejected_calls=0,failed_calls=0"), "\(fcall)")
            #expect(lines.contains { $0.hasPrefix("cmdstat_hincrby:") }, "\(stats)")
        }
    }
}

/// The bucket counters driven below the worker loop, against a real redis-server, where the test chooses the
/// clock: calls of more than one chunk, a refusal in one of them, repeated calls, and the expiry of hashes that
/// vanish mid-window. Both ways of counting are checked: the Lua script (``BucketedWindowCounter``, what a cluster
/// runs) and the `MULTI`/`EXEC` blocks a single server gets (``BucketTransactionCounter``).
@Suite("Counters in buckets: chunks, refusals, repeats and expiries", .needsRedisServer, .timeLimit(.minutes(10)))
struct BucketedWindowCounterTests {
    static let window = FixedWindow(lengthSeconds: 3600)
    static let keys = KeySchema()

    /// A way the worker counts in buckets.
    enum Counter: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case script
        case transaction

        var testDescription: String { rawValue }

        /// Counts `batch`; `attempt` 0 is the first write, later ones retries (which a transaction must know of).
        func count(_ batch: CounterBatch, buckets: Int, attempt: Int, on router: RedisRouter) async throws -> [WindowCount] {
            switch self {
            case .script:
                // As the worker calls it on a cluster.
                return try await BucketedWindowCounter(keys: BucketedWindowCounterTests.keys, buckets: buckets)
                    .count(BucketedWindowCounter.expiringInEveryCall(batch), on: router)
            case .transaction:
                let counts = try await BucketTransactionCounter(keys: BucketedWindowCounterTests.keys, buckets: buckets)
                    .count(batch, on: router, resuming: attempt > 0)
                return try #require(counts, "a single server counts in transactions")
            }
        }
    }

    static func detection(buckets: Int) -> DetectionSettings {
        var detection = DetectionSettings()
        detection.singleRule.windowSeconds = 3600
        detection.singleRule.threshold = 1000
        detection.counters = .buckets(count: buckets)
        return detection
    }

    static func processor(on router: RedisRouter) -> BatchProcessor {
        BatchProcessor(client: router, settings: .forTests, statistics: WorkerStatistics(), logger: workerTestLogger)
    }

    /// 2,500 addresses (three chunks of 1,000 units), the first 100 twice.
    static let entries = (0..<2500).map { "10.8.\($0 / 250).\($0 % 250)" } + (0..<100).map { "10.8.0.\($0)" }

    /// A time in the current hour's first seconds: later times of a test stay in the window, whose hashes expire an
    /// hour after it ends, in the future.
    static func startOfThisHour() -> Int64 {
        window.start(of: window.index(of: nowMilliseconds())) + 1000
    }

    /// Each unit's count, summed over every counter hash.
    static func unitCounts(_ hashes: [String: [String: Int]]) -> [String: Int] {
        hashes.values.reduce(into: [String: Int]()) { $0.merge($1) { $0 + $1 } }
    }

    /// The counter hashes whose expiry is not `expiry`.
    static func hashes(of redis: RedisConnection, withExpiryOtherThan expiry: Int64) async throws -> [String] {
        let keys = try await redis.counterHashes().keys.sorted()
        var encoder = RESPCommandEncoder()
        for key in keys { encoder.encode("PEXPIRETIME", key) }
        let replies = try await redis.pipeline(encoder)
        return zip(keys, replies).filter { $0.1.int != expiry }.map(\.0)
    }

    @Test(
        "repeating every call of a batch, as a retry after lost replies does, counts each entry once",
        arguments: Counter.allCases)
    func repeatedCallsCountOnce(counter: Counter) async throws {
        try await withRedisServer { server in
            try await withRouter(server.url) { router in
                var processor = Self.processor(on: router)
                let batch = processor.prepare(
                    Self.entries.map { ByteBuffer(string: $0) }, detection: Self.detection(buckets: 512), now: nowMilliseconds())
                let first = try await counter.count(batch.counters[0], buckets: 512, attempt: 0, on: router)
                let again = try await counter.count(batch.counters[0], buckets: 512, attempt: 1, on: router)
                #expect(first.count == 2500)
                #expect(again.map(\.after) == first.map(\.after), "a repeat reports the counts as they are")
                #expect(first.allSatisfy { $0.after - $0.before == $0.group.count })
                try await withConnection(server.url) { redis in
                    let counts = Self.unitCounts(try await redis.counterHashes())
                    #expect(counts.count == 2500)
                    #expect(counts.values.reduce(0, +) == Self.entries.count)
                    #expect(counts["10.8.0.5"] == 2 && counts["10.8.0.200"] == 1 && counts["10.8.9.249"] == 1)
                    let index = Self.window.index(of: batch.now)
                    #expect(try await Self.hashes(of: redis, withExpiryOtherThan: Self.window.counterExpiry(of: index)) == [])
                    #expect(try await redis.allKeys(matching: "ipwatcher:buckets:*").count == 512)
                }
            }
        }
    }

    @Test(
        "a hash of the wrong type refuses its chunk whole, naming the key; once it is gone the chunk counts once and every hash expires",
        arguments: Counter.allCases)
    func wrongTypeHashRefusesTheWholeChunk(counter: Counter) async throws {
        let buckets = CounterLayout.defaultBucketCount
        try await withRedisServer { server in
            try await withRouter(server.url) { router in
                var processor = Self.processor(on: router)
                let batch = processor.prepare(
                    Self.entries.map { ByteBuffer(string: $0) }, detection: Self.detection(buckets: buckets),
                    now: nowMilliseconds())
                let groups = batch.counters[0].groups
                let index = try #require(groups.first?.windowIndex)
                let expiry = Self.window.counterExpiry(of: index)
                // A hash in the middle of the second chunk of 1,000 units that no unit of another chunk shares.
                let bucketOf = groups.map { CounterLayout.bucket(of: $0.unit, count: buckets) }
                let users = Dictionary(bucketOf.enumerated().map { ($1, [$0]) }, uniquingKeysWith: +)
                let victim = try #require((1200..<1800).first { users[bucketOf[$0]]?.count == 1 })
                let poisoned = Self.keys.bucketKey(windowSeconds: 3600, windowIndex: index, bucket: bucketOf[victim])
                try await withConnection(server.url) { redis in
                    _ = try await redis.send("LPUSH", poisoned, "x").throwingServerError()
                    do {
                        _ = try await counter.count(batch.counters[0], buckets: buckets, attempt: 0, on: router)
                        Issue.record("the poisoned chunk was accepted")
                    } catch let refusal as BatchWriteRefusal {
                        #expect(refusal.step == .counters)
                        #expect(refusal.key == poisoned)
                        #expect(refusal.error.code == "WRONGTYPE")
                    }
                    let held = try await redis.counterHashes()
                    let partial = Self.unitCounts(held)
                    // Chunks 0 and 2 went through; chunk 1 left no count behind.
                    let accepted = (groups[..<1000] + groups[2000...]).reduce(0) { $0 + $1.count }
                    #expect(partial.values.reduce(0, +) == accepted)
                    for group in groups[1000..<2000] {
                        #expect((partial[group.unit.name] ?? 0) == 0, "\(group.unit.name) of the refused chunk kept a count")
                    }
                    for group in groups[..<1000] + groups[2000...] {
                        #expect(partial[group.unit.name] == group.count, "\(group.unit.name)")
                    }
                    // Both undo to 0 and leave the field: deleting it could delete a hash the chunk made and expired.
                    #expect(groups[1000..<2000].allSatisfy { (partial[$0.unit.name] ?? 0) == 0 })
                    // While the batch is held no hash may be without its expiry: the batch may never be written.
                    let unexpired = try await Self.hashes(of: redis, withExpiryOtherThan: expiry)
                    #expect(unexpired.isEmpty, "\(unexpired.count) hashes without an expiry while the batch is held: \(unexpired.prefix(3))")

                    _ = try await redis.send("DEL", poisoned)
                    let counted = try await counter.count(batch.counters[0], buckets: buckets, attempt: 1, on: router)
                    #expect(counted.count == 2500)
                    #expect(counted.allSatisfy { $0.after - $0.before == $0.group.count && $0.after == $0.group.count })
                    let final = Self.unitCounts(try await redis.counterHashes())
                    #expect(final.count == 2500)
                    #expect(final.values.reduce(0, +) == Self.entries.count)
                    let withoutExpiry = try await Self.hashes(of: redis, withExpiryOtherThan: expiry)
                    #expect(withoutExpiry.isEmpty, "hashes without their window's expiry: \(withoutExpiry.prefix(5))")
                }
            }
        }
    }

    @Test("hashes deleted mid-window (FLUSHALL, eviction) get their expiry again once the ledger forgets, 10 s of the worker's clock later")
    func vanishedHashesGetTheirExpiryBack() async throws {
        let start = Self.startOfThisHour()
        let index = Self.window.index(of: start)
        let expiry = Self.window.counterExpiry(of: index)
        let detection = Self.detection(buckets: 8)
        let addresses = (1...40).map { "198.51.100.\($0)" }
        try await withRedisServer { server in
            try await withRouter(server.url) { router in
                try await withConnection(server.url) { redis in
                    var processor = Self.processor(on: router)
                    func write(at now: Int64) async throws {
                        var batch = processor.prepare(addresses.map { ByteBuffer(string: $0) }, detection: detection, now: now)
                        #expect(batch.counters[0].groups.allSatisfy { $0.windowIndex == index })
                        try await processor.write(&batch)
                    }
                    func expiries() async throws -> [String: Int64] {
                        var found: [String: Int64] = [:]
                        for key in try await redis.counterHashes().keys {
                            found[key] = try await redis.send("PEXPIRETIME", key).int
                        }
                        return found
                    }

                    try await write(at: start)
                    let first = try await expiries()
                    #expect(first.count == 8 && first.values.allSatisfy { $0 == expiry }, "\(first)")

                    // A later batch of the same window sets no expiry of its own (the ledger remembers), and keeps
                    // the hashes' expiry.
                    try await write(at: start + 2_000)
                    #expect(try await expiries() == first)

                    // The hashes vanish; within the 10 s the ledger trusts its claims, recreated hashes have none.
                    let deleted = try await redis.send("DEL", Array(first.keys)).int
                    #expect(deleted == 8)
                    try await write(at: start + 5_000)
                    let trusted = try await expiries()
                    #expect(trusted.count == 8 && trusted.values.allSatisfy { $0 == -1 }, "\(trusted)")

                    // 10,000 ms after the ledger's last forgetting it forgets again, and the next batch sets them.
                    try await write(at: start + 10_000)
                    let restored = try await expiries()
                    #expect(restored.count == 8 && restored.values.allSatisfy { $0 == expiry }, "\(restored)")

                    let counts = Self.unitCounts(try await redis.counterHashes())
                    #expect(counts.count == 40 && counts.values.allSatisfy { $0 == 2 }, "two batches since the deletion")
                }
            }
        }
    }

    @Test("a transaction whose undo never ran (the connection lost between the two) is retried without losing the refused unit's entries")
    func lostUndoLosesNoEntries() async throws {
        let buckets = 8
        let addresses = (1...30).map { "198.51.100.\($0)" }
        let entries = addresses + hits("203.0.113.9", 20)
        try await withRedisServer { server in
            try await withRouter(server.url) { router in
                try await withConnection(server.url) { redis in
                    var processor = Self.processor(on: router)
                    let batch = processor.prepare(
                        entries.map { ByteBuffer(string: $0) }, detection: Self.detection(buckets: buckets), now: nowMilliseconds())
                    let counter = batch.counters[0]
                    let index = try #require(counter.groups.first?.windowIndex)
                    let poisoned = Self.keys.bucketKey(
                        windowSeconds: 3600, windowIndex: index, bucket: CounterLayout.bucket(ofName: "203.0.113.9", count: buckets))
                    _ = try await redis.send("SET", poisoned, "poison").throwingServerError()
                    do {
                        _ = try await Counter.transaction.count(counter, buckets: buckets, attempt: 0, on: router)
                        Issue.record("the poisoned block was accepted")
                    } catch is BatchWriteRefusal {}
                    // What Redis holds when the block ran but its undo never came: the marker set, every other unit
                    // counted.
                    _ = try await redis.send("INCRBY", Self.keys.appliedKey(batchTag: counter.tag, chunk: 0), 1)
                    for group in counter.groups where Self.keys.bucketKey(
                        windowSeconds: 3600, windowIndex: index, bucket: CounterLayout.bucket(of: group.unit, count: buckets)) != poisoned
                    {
                        _ = try await redis.send(
                            "HINCRBY",
                            Self.keys.bucketKey(
                                windowSeconds: 3600, windowIndex: index, bucket: CounterLayout.bucket(of: group.unit, count: buckets)),
                            group.unit.name, group.count)
                    }
                    _ = try await redis.send("DEL", poisoned)

                    let counted = try await Counter.transaction.count(counter, buckets: buckets, attempt: 1, on: router)
                    let counts = Self.unitCounts(try await redis.counterHashes())
                    #expect(counted.count == counter.groups.count)
                    #expect(counts.values.reduce(0, +) == entries.count, "\(counts)")
                    #expect(counts["203.0.113.9"] == 20)
                    let bot = try #require(counted.first { $0.group.unit.name == "203.0.113.9" })
                    #expect(bot.before == 0 && bot.after == 20, "\(bot)")
                }
            }
        }
    }

    @Test("a reload to more bucket hashes within a window gives the hashes it adds their expiry")
    func reloadToMoreBucketsKeepsExpiries() async throws {
        let start = Self.startOfThisHour()
        let index = Self.window.index(of: start)
        let expiry = Self.window.counterExpiry(of: index)
        let addresses = (1...400).map { "10.7.\($0 / 250).\($0 % 250)" }
        try await withRedisServer { server in
            try await withRouter(server.url) { router in
                try await withConnection(server.url) { redis in
                    var processor = Self.processor(on: router)
                    var before = processor.prepare(
                        addresses.map { ByteBuffer(string: $0) }, detection: Self.detection(buckets: 64), now: start)
                    try await processor.write(&before)
                    // `detection.buckets` raised from 64 to 128 by a reload a second later, in the same window.
                    var after = processor.prepare(
                        addresses.map { ByteBuffer(string: $0) }, detection: Self.detection(buckets: 128), now: start + 1_000)
                    try await processor.write(&after)
                    let withoutExpiry = try await Self.hashes(of: redis, withExpiryOtherThan: expiry)
                    #expect(withoutExpiry.isEmpty, "\(withoutExpiry.count) hashes without an expiry: \(withoutExpiry.sorted().prefix(3))…")
                }
            }
        }
    }
}

extension RedisConnection {
    /// Every fixed-window counter hash (`ipwatcher:buckets:*` of type hash) with its fields, unit name to count.
    /// Keys of another type (a test's poison) are left out.
    func counterHashes(matching pattern: String = "ipwatcher:buckets:*") async throws -> [String: [String: Int]] {
        let keys = try await allKeys(matching: pattern)
        var types = RESPCommandEncoder()
        for key in keys { types.encode("TYPE", key) }
        let typed = zip(keys, try await pipeline(types)).filter { $0.1.string == "hash" }.map(\.0)
        var reads = RESPCommandEncoder()
        for key in typed { reads.encode("HGETALL", key) }
        var hashes: [String: [String: Int]] = [:]
        for (key, reply) in zip(typed, try await pipeline(reads)) {
            var fields: [String: Int] = [:]
            if let map = reply.map {
                for (field, value) in map { fields[field.string ?? ""] = Int(value.string ?? "") ?? -1 }
            } else if let array = reply.array {
                let items = Array(array)
                for pair in stride(from: 0, to: items.count - 1, by: 2) {
                    fields[items[pair].string ?? ""] = Int(items[pair + 1].string ?? "") ?? -1
                }
            }
            hashes[key] = fields
        }
        return hashes
    }
}
