import Detection
import Foundation
import IPWatcherDaemon
import IPWatcherTestSupport
import Testing
import Traffic

/// `ipwatcher replay` against the live worker: the same traffic, the same configuration, the same blocks.
@Suite("ipwatcher replay: the worker's detection offline", .needsRedisServer, .timeLimit(.minutes(10)))
struct ReplayCommandTests {
    /// `mixed` traffic with event times spread over the last four seconds, as the feed generates it.
    private func traffic(rule: DetectionRule, seed: UInt64, count: Int = 3000) -> [TrafficEvent] {
        var generator = TrafficGenerator(scenario: .mixed, rule: rule, seed: seed, timed: true)
        return generator.generate(count: count, startMilliseconds: nowMilliseconds() - 4000, millisecondsPerRequest: 1)
            .events
    }

    /// The blocks of `ipwatcher replay --json` as `unit rule` pairs, with the whole object.
    private func replay(_ arguments: [String], in scratch: ScratchDirectory) async throws
        -> (pairs: Set<String>, object: [String: Any])
    {
        let (outcome, stdout, stderr) = try await runIPWatcher(["replay", "--json"] + arguments, in: scratch)
        #expect(outcome.status == 0, "\(stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any])
        let blocks = (object["blocks"] as? [[String: Any]]) ?? []
        return (Set(blocks.map { "\($0["unit"] ?? "?") \($0["rule"] ?? "?")" }), object)
    }

    @Test(
        "replaying the feed's timed traffic gives exactly the blocks the live worker made",
        arguments: [("fixed", "left"), ("sliding", "right"), ("rolling", "left")])
    func replayMatchesWorker(mode: String, pop: String) async throws {
        try await withScratchDirectory { scratch in
            let config = try scratch.write(
                "queue:\n  pop: \(pop)\ndetection:\n  mode: \(mode)\n  threshold: 15\n  window: 60\n", to: "ipwatcher.yaml")
            let settings = try await WorkerSettings.forTests(configurationFile: config)
            let rule = settings.detection.rules[0]
            // The traffic is made inside the worker's body: the load gate may hold the worker back for minutes
            // before it, and times taken earlier would then be stale to the worker.
            let (live, events) = try await withWorker(settings) { run in
                let events = traffic(rule: rule, seed: 11)
                for start in stride(from: 0, to: events.count, by: 500) {
                    try await run.redis.push(events[start..<min(start + 500, events.count)].map(\.entry))
                }
                _ = try await run.waitUntilHandled(events.count, within: .seconds(30))
                try await run.waitUntilBatchesReleased()
                var pairs = Set<String>()
                for unit in try await run.redis.members(of: settings.blocklistKey) {
                    let details = try await run.redis.send("HGET", settings.banInfoKey, unit).string ?? ""
                    pairs.insert("\(unit) \(BanInfoRule.name(in: details))")
                }
                return (pairs, events)
            }
            let log = try scratch.write(events.map(\.entry).joined(separator: "\n") + "\n", to: "traffic.log")
            let (replayed, object) = try await replay(["--config", config, log], in: scratch)
            #expect(live.count > 10, "the traffic must make blocks for the comparison to mean anything")
            #expect(replayed == live, "only replayed: \(replayed.subtracting(live)); only live: \(live.subtracting(replayed))")
            #expect(object["lines"] as? Int == events.count)
            #expect(object["rejected"] as? Int == 0)
        }
    }

    @Test("an access log of the same traffic, times in whole seconds, blocks the same units as its entries")
    func combinedMatchesEntries() async throws {
        try await withScratchDirectory { scratch in
            let events = traffic(rule: DetectionRule(), seed: 4)
            let entries = try scratch.write(events.map(\.entry).joined(separator: "\n"), to: "entries.log")
            // Whole seconds keep every request in its minute, so fixed windows count them alike.
            let lines = events.enumerated().map { index, event in
                "\(event.address) - - [\(AccessLogTime.text(event.timeMilliseconds ?? 0))] \"GET /item/\(index) HTTP/1.1\" "
                    + "200 512 \"-\" \"curl/8.5 [x] \\\"y\\\"\"\r"
            }
            let combined = try scratch.write(
                "garbage line\n-\n" + lines.joined(separator: "\n") + "\n", to: "access.log")
            let fromEntries = try await replay(["--format", "entries", entries], in: scratch)
            let fromLog = try await replay([combined], in: scratch)
            #expect(fromEntries.pairs.count > 10)
            #expect(fromLog.pairs == fromEntries.pairs)
            #expect(fromLog.object["lines"] as? Int == events.count + 2)
            #expect(fromLog.object["rejected"] as? Int == 2)
        }
    }

    @Test("--compare lists the units only one configuration blocks, and each list matches its own replay")
    func compareListsDifferences() async throws {
        try await withScratchDirectory { scratch in
            let events = traffic(rule: DetectionRule(), seed: 21)
            let log = try scratch.write(events.map(\.entry).joined(separator: "\n"), to: "traffic.log")
            let strict = try scratch.write("detection:\n  threshold: 15\n", to: "strict.yaml")
            let lenient = try scratch.write("detection:\n  threshold: 40\n", to: "lenient.yaml")
            let strictUnits = Set(try await replay(["--config", strict, log], in: scratch).pairs.map { $0.split(separator: " ")[0] })
            let lenientUnits = Set(try await replay(["--config", lenient, log], in: scratch).pairs.map { $0.split(separator: " ")[0] })
            let (_, object) = try await replay(["--config", strict, "--compare", lenient, log], in: scratch)
            let onlyFirst = Set((object["only_first"] as? [String] ?? []).map { Substring($0) })
            let onlySecond = Set((object["only_second"] as? [String] ?? []).map { Substring($0) })
            #expect(!onlyFirst.isEmpty)
            #expect(onlyFirst == strictUnits.subtracting(lenientUnits))
            #expect(onlySecond == lenientUnits.subtracting(strictUnits))
            #expect(object["lines"] as? Int == events.count)
        }
    }

    @Test("a bad configuration exits 78 naming the key; an unreadable log exits 1 naming the file")
    func errors() async throws {
        try await withScratchDirectory { scratch in
            let bad = try scratch.write("detection:\n  threshold: lots\n", to: "bad.yaml")
            let log = try scratch.write("203.0.113.7\n", to: "traffic.log")
            let (badOutcome, _, badErrors) = try await runIPWatcher(["replay", "--config", bad, log], in: scratch)
            #expect(badOutcome.status == 78)
            #expect(badErrors.count == 1 && badErrors[0].contains("detection.threshold"), "\(badErrors)")
            let (missingOutcome, _, missingErrors) = try await runIPWatcher(
                ["replay", "--config", bad.replacingOccurrences(of: "bad", with: "none"), log], in: scratch)
            #expect(missingOutcome.status == 78, "\(missingErrors)")
            let (noFile, _, noFileErrors) = try await runIPWatcher(
                ["replay", scratch.path + "/absent.log"], in: scratch)
            #expect(noFile.status == 1)
            #expect(noFileErrors == ["ipwatcher replay: cannot read \(scratch.path)/absent.log: No such file or directory"])
        }
    }
}

/// The `rule` of a ban details value, as the ban script writes it: `{"rule":"default",…}`.
private enum BanInfoRule {
    static func name(in json: String) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return "?" }
        return object["rule"] as? String ?? "?"
    }
}

/// Times as access logs write them: `06/Dec/2026:01:02:03 +0000`.
private enum AccessLogTime {
    static func text(_ milliseconds: Int64) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "dd/MMM/yyyy:HH:mm:ss Z"
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds / 1000)))
    }
}
