import Detection
import IPWatcherDaemon
import IPWatcherTestSupport
import RedisClient
import Testing

/// Every key the worker writes, other than the queue and the blocklist, lies under `ipwatcher:`; counters expire
/// and rolling sets stay small however hard a unit floods.
@Suite("Worker: key namespace and key sizes", .needsRedisServer, .timeLimit(.minutes(10)))
struct WorkerKeyNamespaceTests {
    static let queueKey = "frontend:ips"
    static let blocklistKey = "frontend:blocklist"

    static func settings(mode: DetectionRule.Mode) -> WorkerSettings {
        var settings = WorkerSettings.forTests(mode: mode)
        settings.queueKey = queueKey
        settings.blocklistKey = blocklistKey
        settings.rejectedKey = "ipwatcher:rejected"
        return settings
    }

    /// Pushes ``traffic(now:)`` batch by batch, waiting for the worker to handle each before the next.
    static func pushTraffic(to run: WorkerRun) async throws {
        var total = 0
        for entries in traffic(now: nowMilliseconds()) {
            try await run.redis.push(entries, to: queueKey)
            total += entries.count
            try await run.waitUntilHandled(total)
        }
    }

    /// A flood of 100 hits in four pushes, some other units, IPv6, and a few bad entries.
    static func traffic(now: Int64) -> [[String]] {
        let flood = hits("198.51.100.200", 25)
        let others = ["192.0.2.10", "2001:db8:7:8::1", "::ffff:192.0.2.11", "192.0.2.12 \(now)", "not-an-address", ""]
        return [flood + others, flood, flood + hits("2001:db8:7:8::2", 20), flood]
    }

    @Test("after a run, every key except the queue and the blocklist starts with ipwatcher:",
        arguments: DetectionRule.Mode.allCases)
    func everyWorkerKeyIsPrefixed(mode: DetectionRule.Mode) async throws {
        try await withWorker(Self.settings(mode: mode)) { run in
            try await Self.pushTraffic(to: run)
            let blocked = try await run.redis.members(of: Self.blocklistKey)
            #expect(blocked == ["198.51.100.200", "2001:db8:7:8::/64"])

            let keys = try await run.redis.allKeys()
            let outside = keys.filter { $0 != Self.queueKey && $0 != Self.blocklistKey && !$0.hasPrefix("ipwatcher:") }
            #expect(outside == [], "keys outside the namespace: \(outside)")
            // The run did create the worker's own keys, so the check above was not vacuous.
            let counterPrefix = mode == .rolling ? "ipwatcher:rolling:" : "ipwatcher:fixed:"
            #expect(keys.contains { $0.hasPrefix(counterPrefix) }, "\(keys)")
            #expect(keys.contains("ipwatcher:bans"), "\(keys)")
            #expect(keys.contains("ipwatcher:rejected"), "\(keys)")
        }
    }

    @Test("a rolling set holds at most threshold+1 members after 100 hits, and expires")
    func rollingSetIsCapped() async throws {
        try await withWorker(Self.settings(mode: .rolling)) { run in
            var total = 0
            for _ in 0..<4 {
                try await run.redis.push(hits("198.51.100.200", 25), to: Self.queueKey)
                total += 25
                try await run.waitUntilHandled(total)
            }
            let key = "ipwatcher:rolling:60:198.51.100.200"
            let members = try await run.redis.rollingEvents(at: key).count
            #expect(members >= 1 && members <= 16, "ZCARD \(members)")
            let ttl = try #require(try await run.redis.send("PTTL", key).int)
            #expect(ttl > 0 && ttl <= 60_000, "PTTL \(ttl)")
        }
    }

    @Test("fixed counters carry a TTL of at most two windows")
    func fixedCountersExpire() async throws {
        try await withWorker(Self.settings(mode: .fixed)) { run in
            try await Self.pushTraffic(to: run)
            let counters = try await run.redis.allKeys(matching: "ipwatcher:fixed:*")
            #expect(counters.count >= 5, "\(counters)")
            for key in counters {
                #expect(key.hasPrefix("ipwatcher:fixed:60:"), "\(key)")
                let ttl = try #require(try await run.redis.send("PTTL", key).int)
                #expect(ttl > 0 && ttl <= 120_000, "PTTL of \(key) is \(ttl)")
            }
            let flood = counters.filter { $0.hasSuffix(":198.51.100.200") }
            var sum: Int64 = 0
            for key in flood { sum += try await run.redis.send("GET", key).int ?? 0 }
            #expect(sum == 100)
        }
    }
}
