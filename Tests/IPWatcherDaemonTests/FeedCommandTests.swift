import Foundation
import IPWatcherDaemon
import IPWatcherTestSupport
import LocalRedis
import Testing

/// `ipwatcher feed`, the built executable, against a private redis-server: it pushes exactly what it reports, and
/// the same seed pushes the same traffic.
@Suite("ipwatcher feed", .needsRedisServer, .timeLimit(.minutes(10)))
struct FeedCommandTests {
    /// Runs `ipwatcher feed --count 3000` against `server` into `queue` with `seed`; returns its JSON summary's
    /// `feed` object.
    private static func feed(
        queue: String, seed: Int, to server: LocalRedisServer, in scratch: ScratchDirectory
    ) async throws -> [String: Any] {
        let result = try await runIPWatcher(
            ["feed", "--redis-url", server.url, "--json", "--count", "3000", "--queue", queue, "--seed", "\(seed)"],
            in: scratch, within: .seconds(60))
        #expect(result.outcome.status == 0, "stderr:\n\(result.stderr.suffix(20).joined(separator: "\n"))")
        let summary = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        return try #require(summary?["feed"] as? [String: Any], "\(result.stdout)")
    }

    @Test("feed --count pushes that many entries, as many as its summary counts per kind, and a seed replays them")
    func feedPushesWhatItReports() async throws {
        try await withRedisServer(.unixSocketOnly, deadline: .seconds(120)) { server in
            try await withScratchDirectory { scratch in
                let first = try await Self.feed(queue: "first", seed: 7, to: server, in: scratch)
                let again = try await Self.feed(queue: "again", seed: 7, to: server, in: scratch)
                let other = try await Self.feed(queue: "other", seed: 8, to: server, in: scratch)
                #expect([first, again, other].map { $0["sent"] as? Int } == [3000, 3000, 3000])
                #expect(first["queue"] as? String == "first" && first["seed"] as? Int == 7)
                let kinds = try #require(first["kinds"] as? [String: [String: Int]], "\(first)")
                #expect(kinds.values.map { $0["requests"] ?? 0 }.reduce(0, +) == 3000, "\(kinds)")
                #expect((kinds["bot"]?["units"] ?? 0) > 0, "mixed has bots: \(kinds)")

                try await withConnection(server.url) { redis in
                    let firstEntries = try await redis.listContents("first")
                    #expect(firstEntries.count == 3000)
                    #expect(try await redis.listContents("again") == firstEntries, "the same seed pushes the same list")
                    #expect(try await redis.listContents("other") != firstEntries, "another seed pushes another list")
                }
            }
        }
    }

    @Test("feed --config follows the worker's file: its queue, rules and range bans; the report finds every farm's range banned")
    func feedFollowsTheWorkersConfiguration() async throws {
        try await withScratchDirectory { scratch in
            let config = try scratch.write(
                """
                queue:
                  key: visits
                detection:
                  rules:
                    - {name: burst, threshold: 10, window: 2}
                    - {name: minute, threshold: 15, window: 60}
                blocklist:
                  ban_seconds: 600
                  ranges: {min_units: 3}
                """, to: "ipwatcher.yaml")
            let settings = try await WorkerSettings.forTests(configurationFile: config)
            #expect(settings.queueKey == "visits" && settings.ranges.minUnits == 3)
            try await withWorker(settings) { run in
                let result = try await runIPWatcher(
                    [
                        "feed", "--config", config, "--redis-url", run.server.url, "--scenario", "subnet", "--count",
                        "800", "--report", "--json", "--drain-timeout", "30",
                    ], in: scratch, within: .seconds(60))
                #expect(result.outcome.status == 0, "stderr:\n\(result.stderr.suffix(20).joined(separator: "\n"))")
                let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
                let feed = try #require(object["feed"] as? [String: Any], "\(result.stdout)")
                #expect(feed["queue"] as? String == "visits")
                let report = try #require(object["report"] as? [String: Any], "\(result.stdout)")
                let ranges = try #require(report["ranges"] as? [String: Any], "\(report)")
                let expected = try #require(ranges["expected"] as? Int)
                #expect(expected > 0 && ranges["banned"] as? Int == expected, "\(ranges)")
                #expect(ranges["fresh_refused"] as? Int == ranges["fresh_units"] as? Int)
                let rules = try #require(report["rules"] as? [[String: Any]])
                #expect(rules.compactMap { $0["name"] as? String } == ["burst", "minute"])
                #expect(try await run.redis.send("SCARD", "blocklist:ranges").int == Int64(expected))
            }
        }
    }
}
