import Detection
import Foundation
import IPWatcherDaemon
import IPWatcherTestSupport
import Testing

/// `ipwatcher blocklist explain`: for a blocked, a near-limit and an allowlisted address, what each rule counted
/// and why the ban is there, read from the keys a real worker wrote.
@Suite("ipwatcher blocklist explain", .needsRedisServer, .timeLimit(.minutes(10)))
struct BlocklistExplainTests {
    static let configuration = """
        detection:
          rules:
            - {name: burst, threshold: 5, window: 3600, ban_seconds: 30}
            - {name: minute, threshold: 10, window: 60, mode: rolling}
            - {name: hourly, threshold: 100, window: 3600, dry_run: true}
        blocklist:
          escalation: {factor: 2, max_seconds: 600, memory_seconds: 600}
        """

    /// Runs `blocklist explain address --json` against `url` and decodes its object.
    static func explain(_ address: String, url: String, config: String, in scratch: ScratchDirectory) async throws
        -> [String: Any]
    {
        let run = try await runIPWatcher(
            ["blocklist", "explain", address, "--json", "--config", config, "--redis-url", url], in: scratch)
        #expect(run.outcome.status == 0, "\(run.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        return try #require(object, "not a JSON object: \(run.stdout)")
    }

    /// Milliseconds from `now` to the start of the next hour (Unix time), when an hour-long fixed window ends.
    static func timeToNextHour(from now: Int64) -> Int64 {
        (now / 3_600_000 + 1) * 3_600_000 - now
    }

    /// The entry of `rules` named `name`.
    static func rule(_ name: String, in object: [String: Any]) throws -> [String: Any] {
        let rules = try #require(object["rules"] as? [[String: Any]])
        return try #require(rules.first { $0["name"] as? String == name }, "no rule \(name) in \(rules)")
    }

    @Test("a blocked, a near-limit and an allowlisted address, each explained rule by rule")
    func explainsThreeAddresses() async throws {
        try await withScratchDirectory { scratch in
            let config = try scratch.write(Self.configuration, to: "ipwatcher.yaml")
            let settings = try await WorkerSettings.forTests(configurationFile: config)
            try await withWorker(settings) { run in
                // The explains below run after the hits, from subprocesses, and under load that took 19 s: a fixed
                // window that ends meanwhile reads 0. Hour-long windows, and never the last two minutes of one.
                let wait = Self.timeToNextHour(from: nowMilliseconds())
                if wait < 120_000 {
                    try await Task.sleep(for: .milliseconds(wait + 100))
                }
                let now = nowMilliseconds()
                try await run.redis.push(
                    hits("198.51.100.70 \(now)", 6) + hits("198.51.100.71 \(now)", 4) + hits("127.0.0.1 \(now)", 20))
                try await run.waitUntilHandled(30)
                let url = run.server.url

                let blocked = try await Self.explain("198.51.100.70", url: url, config: config, in: scratch)
                #expect(blocked["unit"] as? String == "198.51.100.70")
                #expect(blocked["allowlisted"] as? Bool == false && blocked["blocked"] as? Bool == true)
                let ban = try #require(blocked["ban"] as? [String: Any], "\(blocked)")
                #expect(ban["rule"] as? String == "burst" && (ban["offence"] as? NSNumber)?.intValue == 1)
                let since = try #require((ban["since"] as? NSNumber)?.int64Value)
                let expiresAt = try #require((ban["expires_at"] as? NSNumber)?.int64Value)
                #expect(expiresAt - since == 30_000, "the burst rule's ban, first offence")
                #expect(blocked["range"] is NSNull)
                let burst = try Self.rule("burst", in: blocked)
                #expect((burst["count"] as? NSNumber)?.intValue == 6 && burst["over"] as? Bool == true)
                #expect((burst["threshold"] as? NSNumber)?.intValue == 5 && (burst["window"] as? NSNumber)?.intValue == 3600)
                let windowEnd = (now / 3_600_000 + 1) * 3_600_000
                #expect((burst["resets_at"] as? NSNumber)?.int64Value == windowEnd)
                let minute = try Self.rule("minute", in: blocked)
                #expect((minute["count"] as? NSNumber)?.intValue == 6 && minute["mode"] as? String == "rolling")
                #expect((minute["resets_at"] as? NSNumber)?.int64Value == now + 60_000)
                let hourly = try Self.rule("hourly", in: blocked)
                #expect(hourly["dry_run"] as? Bool == true && (hourly["count"] as? NSNumber)?.intValue == 6)

                let near = try await Self.explain("198.51.100.71", url: url, config: config, in: scratch)
                #expect(near["blocked"] as? Bool == false && near["ban"] is NSNull)
                let nearBurst = try Self.rule("burst", in: near)
                #expect((nearBurst["count"] as? NSNumber)?.intValue == 4)
                #expect(nearBurst["near_limit"] as? Bool == true && nearBurst["over"] as? Bool == false)
                #expect(try Self.rule("minute", in: near)["near_limit"] as? Bool == false)

                let allowlisted = try await Self.explain("127.0.0.1", url: url, config: config, in: scratch)
                #expect(allowlisted["allowlisted"] as? Bool == true && allowlisted["blocked"] as? Bool == false)
                #expect((try Self.rule("burst", in: allowlisted)["count"] as? NSNumber)?.intValue == 0)
                #expect(try Self.rule("burst", in: allowlisted)["resets_at"] is NSNull)

                let text = try await runIPWatcher(
                    ["blocklist", "explain", "198.51.100.70", "--config", config, "--redis-url", url], in: scratch)
                #expect(text.outcome.status == 0)
                #expect(text.stdout.contains("blocked: yes"), "\(text.stdout)")
                #expect(text.stdout.contains("by rule burst, offence 1"), "\(text.stdout)")
                #expect(text.stdout.contains("burst   6 of 5 in 3600 s fixed, over"), "\(text.stdout)")
                #expect(text.stdout.contains("(dry run)"), "\(text.stdout)")
            }
        }
    }

    @Test("a sliding rule is explained with its estimate: the previous window weighted by its overlap, plus the current",
        arguments: [CounterLayout.keys, .buckets(count: 8)])
    func explainsSlidingEstimate(counters: CounterLayout) async throws {
        var sliding = WorkerSettings.forTests
        sliding.detection = DetectionSettings(
            rules: [DetectionRule(name: "sliding", mode: .sliding, threshold: 10, windowSeconds: 60)], banSeconds: 3600)
        sliding.detection.counters = counters
        let settings = sliding
        let unit = try #require(DetectionUnit.parse(name: "198.51.100.72"))
        let window = FixedWindow(lengthSeconds: 60)
        let index = window.index(of: nowMilliseconds())
        // A quarter into the window: 10 × 45/60 = 7.5, 7 rounded down, beside the current 3.
        let now = window.start(of: index) + 15_000
        try await withRedisServer { server in
            try await withConnection(server.url) { redis in
                for (windowIndex, count) in [(index - 1, 10), (index, 3)] {
                    switch counters {
                    case .keys:
                        _ = try await redis.send(
                            "SET", KeySchema().fixedCounterKey(unitName: unit.name, windowSeconds: 60, windowIndex: windowIndex),
                            count
                        ).throwingServerError()
                    case .buckets(let buckets):
                        _ = try await redis.send(
                            "HSET",
                            KeySchema().bucketKey(
                                windowSeconds: 60, windowIndex: windowIndex,
                                bucket: CounterLayout.bucket(ofName: unit.name, count: buckets)),
                            unit.name, count
                        ).throwingServerError()
                    }
                }
                let explained = try await UnitExplanation.gather(
                    for: nil, unit: unit, settings: settings, on: redis, now: now)
                let rule = try #require(explained.rules.first)
                #expect(rule.count == 10 && rule.isOver)
                #expect(rule.resetsAt == window.end(of: index + 1), "the current count weighs until the next window ends")
            }
        }
    }

    @Test("a ban added by hand is explained as such; garbage is refused with status 2")
    func manualBanAndGarbage() async throws {
        try await withRedisServer { server in
            try await withScratchDirectory { scratch in
                let url = ["--redis-url", server.url]
                #expect(try await runIPWatcher(["blocklist", "add", "203.0.113.9"] + url, in: scratch).outcome.status == 0)
                let run = try await runIPWatcher(["blocklist", "explain", "203.0.113.9", "--json"] + url, in: scratch)
                let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
                let ban = try #require(object["ban"] as? [String: Any], "\(run.stdout)")
                #expect(ban["manual"] as? Bool == true && ban["rule"] is NSNull)
                #expect((try Self.rule("default", in: object)["count"] as? NSNumber)?.intValue == 0)
                let garbage = try await runIPWatcher(["blocklist", "explain", "not-an-ip"] + url, in: scratch)
                #expect(garbage.outcome.status == 2)
            }
        }
    }
}
