import Detection
import IPWatcherDaemon
import IPWatcherTestSupport
import RedisClient
import Testing

/// Several rules at once, against a real redis-server: each counts in its own window, the first crossed blocks with
/// its own ban, a dry-run rule only announces, rules that agree on mode and window share one counter.
@Suite("Worker: several rules", .needsRedisServer, .timeLimit(.minutes(10)))
struct WorkerRulesTests {
    /// Settings with `rules`; bans last an hour unless a rule says otherwise.
    static func settings(_ rules: [DetectionRule]) -> WorkerSettings {
        var settings = WorkerSettings.forTests
        settings.detection = DetectionSettings(rules: rules, banSeconds: 3600)
        return settings
    }

    /// `count` entries of `address`, all stamped `time`: one window for all however the worker batches them.
    static func stamped(_ address: String, _ count: Int, at time: Int64) -> [String] {
        hits("\(address) \(time)", count)
    }

    @Test("each rule counts in its own window: a burst is blocked by the burst rule, a steady unit by the minute rule")
    func eachRuleBlocksWhatItCatches() async throws {
        let rules = [
            DetectionRule(name: "burst", threshold: 5, windowSeconds: 10, banSeconds: 30),
            DetectionRule(name: "minute", mode: .rolling, threshold: 8, windowSeconds: 60),
        ]
        try await withWorker(Self.settings(rules)) { run in
            let subscriber = try await ChannelSubscriber(port: try #require(run.server.port), channel: "ipwatcher:events")
            let now = nowMilliseconds()
            // A: six at once, over the burst rule. B: eight, two per 10 s window, so only the minute rule sees 8.
            // C: three, under both.
            var entries = Self.stamped("198.51.100.10", 6, at: now)
            for step in 0..<4 {
                let window = (now / 10_000 - Int64(step)) * 10_000
                entries += Self.stamped("198.51.100.11", 2, at: max(window, now - 55_000))
            }
            entries += Self.stamped("198.51.100.12", 3, at: now)
            try await run.redis.push(entries)
            try await run.waitUntilHandled(entries.count)

            var events: [String: PublishedEvent] = [:]
            for _ in 0..<2 {
                let message = try #require(try await subscriber.nextMessage(within: .seconds(5)), "missing block event")
                let event = try PublishedEvent(json: message)
                events[event.unit ?? ""] = event
            }
            let burst = try #require(events["198.51.100.10"])
            #expect(burst.rule == "burst" && burst.window == 10 && burst.dryRun == false)
            let burstExpiry = try #require(burst.expiresAt)
            let burstAt = try #require(burst.at)
            #expect(burstExpiry - burstAt == 30_000, "the burst rule's own ban")
            let minute = try #require(events["198.51.100.11"])
            #expect(minute.rule == "minute" && minute.mode == "rolling" && minute.count == 8)
            #expect(try #require(minute.expiresAt) - (try #require(minute.at)) == 3_600_000, "blocklist.ban_seconds")
            #expect(try await !run.redis.isMember("198.51.100.12", of: "blocklist"))
            #expect(try await run.redis.send("SCARD", "blocklist").int == 2)

            // Each rule's counter is named by its window.
            #expect(try await !run.redis.allKeys(matching: "ipwatcher:fixed:10:*").isEmpty)
            #expect(try await run.redis.rollingEvents(at: "ipwatcher:rolling:60:198.51.100.11").count == 8)
            let totals = run.totals
            #expect(totals.rules["burst"]?.blocks == 1 && totals.rules["minute"]?.blocks == 1)
            #expect(totals.rules["burst"]?.crossings == 1, "B never has 5 in one 10 s window")
            #expect(totals.blocked == 2)
        }
    }

    @Test("a unit over two rules in one batch is blocked once, under the rule with the longer ban")
    func longestBanWins() async throws {
        let rules = [
            DetectionRule(name: "short", threshold: 5, windowSeconds: 60, banSeconds: 10),
            DetectionRule(name: "forever", threshold: 8, windowSeconds: 60, banSeconds: 0),
        ]
        try await withWorker(Self.settings(rules)) { run in
            let subscriber = try await ChannelSubscriber(port: try #require(run.server.port), channel: "ipwatcher:events")
            try await run.redis.push(Self.stamped("198.51.100.20", 9, at: nowMilliseconds()))
            try await run.waitUntilHandled(9)
            let message = try #require(try await subscriber.nextMessage(within: .seconds(5)), "no block event")
            let event = try PublishedEvent(json: message)
            #expect(event.rule == "forever" && event.expiresAtIsNull, "\(message)")
            #expect(try await subscriber.messages(during: .milliseconds(300)) == [], "one event per block")
            #expect(try await run.redis.isMember("198.51.100.20", of: "blocklist"))
            #expect(try await run.redis.send("ZSCORE", "ipwatcher:bans", "198.51.100.20").isNull, "permanent")
            // Same mode and window: one counter for both rules, counting each entry once.
            let keys = try await run.redis.allKeys(matching: "ipwatcher:fixed:60:*")
            #expect(keys.count == 1)
            #expect(try await run.redis.send("GET", try #require(keys.first)).string == "9")
            #expect(run.totals.rules["short"]?.crossings == 1 && run.totals.rules["forever"]?.crossings == 1)
            #expect(run.totals.blocked == 1)
        }
    }

    @Test("a dry-run rule announces with dry_run true and writes nothing; the enforcing rule beside it still blocks")
    func dryRunRuleOnlyAnnounces() async throws {
        let rules = [
            DetectionRule(name: "shadow", threshold: 5, windowSeconds: 10, dryRun: true),
            DetectionRule(name: "minute", threshold: 10, windowSeconds: 60),
        ]
        try await withWorker(Self.settings(rules)) { run in
            let subscriber = try await ChannelSubscriber(port: try #require(run.server.port), channel: "ipwatcher:events")
            let now = nowMilliseconds()
            // 6 over the shadow rule only; 8 is near the minute rule's limit (80 % of 10).
            try await run.redis.push(Self.stamped("198.51.100.30", 6, at: now))
            try await run.waitUntilHandled(6)
            let message = try #require(try await subscriber.nextMessage(within: .seconds(5)), "no dry-run event")
            let event = try PublishedEvent(json: message)
            #expect(event.rule == "shadow" && event.dryRun == true && event.expiresAtIsNull, "\(message)")
            #expect(try await run.redis.send("EXISTS", "blocklist").int == 0)
            #expect(run.totals.rules["shadow"]?.blocks == 1, "announced")
            #expect(run.totals.rules["minute"]?.nearLimit == 0)

            try await run.redis.push(Self.stamped("198.51.100.30", 2, at: now))
            try await run.waitUntilHandled(8)
            #expect(run.totals.rules["minute"]?.nearLimit == 1, "8 of 10 is near the limit")
            #expect(try await subscriber.messages(during: .milliseconds(300)) == [], "the shadow rule announces once")

            try await run.redis.push(Self.stamped("198.51.100.30", 2, at: now))
            try await run.waitUntilHandled(10)
            let blocked = try #require(try await subscriber.nextMessage(within: .seconds(5)), "no block event")
            #expect(try PublishedEvent(json: blocked).rule == "minute", "\(blocked)")
            #expect(try await run.redis.isMember("198.51.100.30", of: "blocklist"))
        }
    }

    @Test("a reload that adds a rule applies from the next batch")
    func reloadAddsARule() async throws {
        try await withWorker(Self.settings([DetectionRule(threshold: 15, windowSeconds: 60)])) { run in
            let now = nowMilliseconds()
            try await run.redis.push(Self.stamped("198.51.100.40", 6, at: now))
            try await run.waitUntilHandled(6)
            #expect(try await !run.redis.isMember("198.51.100.40", of: "blocklist"))

            var reloaded = run.worker.live.current
            reloaded.rules.append(DetectionRule(name: "burst", threshold: 5, windowSeconds: 10, banSeconds: 30))
            run.worker.live.replace(with: reloaded)
            try await run.redis.push(Self.stamped("198.51.100.41", 6, at: now))
            try await run.waitUntilHandled(12)
            #expect(try await run.redis.isMember("198.51.100.41", of: "blocklist"))
            #expect(run.totals.rules["burst"]?.blocks == 1)
            #expect((run.totals.rules["default"]?.blocks ?? 0) == 0)
        }
    }
}
