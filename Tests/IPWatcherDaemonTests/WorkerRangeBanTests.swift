import Detection
import Foundation
import IPWatcherDaemon
import IPWatcherTestSupport
import RedisClient
import Testing

/// Range bans against a real redis-server: enough units of one range banned at once ban the range, announced
/// with `"range":true` and lifted when it ends; bans that no longer overlap do not count, nor does a range that
/// holds an allowlisted address.
@Suite("Worker: range bans", .needsRedisServer, .timeLimit(.minutes(10)))
struct WorkerRangeBanTests {
    static func settings(
        banSeconds: Int, minUnits: Int = 3, escalation: BanEscalation = BanEscalation(),
        allowlist: [IPNetwork] = DetectionRule.defaultAllowlist
    ) -> WorkerSettings {
        var settings = WorkerSettings.forTests
        settings.detection = DetectionSettings(
            rules: [DetectionRule(name: "minute", threshold: 3, windowSeconds: 3600, allowlist: allowlist)],
            banSeconds: banSeconds, escalation: escalation)
        settings.ranges = RangeBanPolicy(ipv4Prefix: 24, ipv6Prefix: 48, minUnits: minUnits)
        return settings
    }

    /// The next block or unblock event of a range (`"range":true`), skipping the units' own.
    static func nextRangeEvent(_ subscriber: ChannelSubscriber, within: Duration = .seconds(10)) async throws
        -> PublishedEvent
    {
        while true {
            let message = try #require(try await subscriber.nextMessage(within: within), "no range event")
            let event = try PublishedEvent(json: message)
            if event.fields["range"] as? Bool == true { return event }
        }
    }

    @Test("three units of one /24 banned at once ban the /24 until its own ban ends; escalation counts the range's offences")
    func rangeBannedAndLifted() async throws {
        let escalation = BanEscalation(factor: 2, maxSeconds: 60, memorySeconds: 60)
        // 3 s bans: the two units' bans must still run when the third unit's batch is counted, and with 1 s a loaded
        // machine took longer than that between the two (a full run once saw no range event).
        try await withWorker(Self.settings(banSeconds: 3, escalation: escalation), deadline: .seconds(60)) { run in
            let subscriber = try await ChannelSubscriber(port: try #require(run.server.port), channel: "ipwatcher:events")
            let stamp = nowMilliseconds()
            var lengths: [Int64] = []
            for offence in 1...2 {
                // Two units of the range and one elsewhere: not yet; the third unit of the range completes it.
                try await run.redis.push(["203.0.113.7", "203.0.113.8", "198.51.100.1"].flatMap { hits("\($0) \(stamp)", 3) })
                try await waitUntil("two units banned") { try await run.redis.send("SCARD", "blocklist").int == 3 }
                #expect(try await run.redis.send("SCARD", "blocklist:ranges").int == 0)
                try await run.redis.push(hits("203.0.113.9 \(stamp)", 3))
                let block = try await Self.nextRangeEvent(subscriber)
                #expect(block.event == "block" && block.unit == "203.0.113.0/24" && block.rule == "minute")
                #expect(block.fields["units"] as? Int == 3 && block.fields["last_unit"] as? String == "203.0.113.9")
                #expect(block.offence == Int64(offence))
                let expiresAt = try #require(block.expiresAt)
                lengths.append(expiresAt - (try #require(block.at)))
                #expect(try await run.redis.isMember("203.0.113.0/24", of: "blocklist:ranges"))
                let score = try await run.redis.send("ZSCORE", "ipwatcher:bans:ranges", "203.0.113.0/24").double
                #expect(score.map(Int64.init) == expiresAt)
                let details = try #require(try await run.redis.send("HGET", "ipwatcher:bans:info", "203.0.113.0/24").string)
                #expect(details.contains("\"units\":3") && details.contains("\"offence\":\(offence)"), "\(details)")
                let unblock = try await Self.nextRangeEvent(subscriber, within: .seconds(15))
                #expect(unblock.event == "unblock" && unblock.unit == "203.0.113.0/24")
                #expect(try await !run.redis.isMember("203.0.113.0/24", of: "blocklist:ranges"))
                #expect(try await run.redis.send("HEXISTS", "ipwatcher:bans:info", "203.0.113.0/24").int == 0)
                try await waitUntil("every unit's ban ends", within: .seconds(15)) {
                    try await run.redis.send("SCARD", "blocklist").int == 0
                }
            }
            // The range's second ban doubles like a unit's: base 3 s, then 6 s.
            #expect(lengths == [3000, 6000])
            #expect(try await run.redis.send("GET", "ipwatcher:offences:203.0.113.0/24").string == "2")
        }
    }

    @Test("bans that have ended do not count: three units banned one after another, each after the last ended, ban no range")
    func endedBansDoNotCount() async throws {
        try await withWorker(Self.settings(banSeconds: 1)) { run in
            let stamp = nowMilliseconds()
            for unit in ["203.0.113.20", "203.0.113.21", "203.0.113.22"] {
                try await run.redis.push(hits("\(unit) \(stamp)", 3))
                try await waitUntil("\(unit) banned") { try await run.redis.isMember(unit, of: "blocklist") }
                try await waitUntil("\(unit)'s ban ends") { try await !run.redis.isMember(unit, of: "blocklist") }
            }
            #expect(try await run.redis.send("SCARD", "blocklist:ranges").int == 0)
            let members = try await run.redis.send("ZCARD", "ipwatcher:range:203.0.113.0/24").int ?? 0
            #expect(members <= 1, "ended bans are dropped from the range's units")
        }
    }

    @Test("IPv6 units of one /48 ban the /48; a range that holds an allowlisted address is never banned")
    func ipv6AndAllowlist() async throws {
        let allowlist = DetectionRule.defaultAllowlist + [try #require(IPNetwork("198.51.100.77/32"))]
        try await withWorker(Self.settings(banSeconds: 60, minUnits: 2, allowlist: allowlist)) { run in
            let subscriber = try await ChannelSubscriber(port: try #require(run.server.port), channel: "ipwatcher:events")
            let stamp = nowMilliseconds()
            let entries =
                ["198.51.100.1", "198.51.100.2", "198.51.100.3"].flatMap { hits("\($0) \(stamp)", 3) }
                + ["2001:db8:1:a::1", "2001:db8:1:b::1"].flatMap { hits("\($0) \(stamp)", 3) }
            try await run.redis.push(entries)
            let block = try await Self.nextRangeEvent(subscriber)
            #expect(block.unit == "2001:db8:1::/48")
            try await waitUntil("every unit banned") { try await run.redis.send("SCARD", "blocklist").int == 5 }
            let ranges = try await run.redis.send("SMEMBERS", "blocklist:ranges").array.map { Array($0) } ?? []
            #expect(ranges.compactMap(\.string) == ["2001:db8:1::/48"], "198.51.100.0/24 holds an allowlisted address")
            let statistics = run.worker.statistics.snapshot
            #expect(statistics.rangesBlocked == 1 && statistics.blocked == 5)
        }
    }
}
