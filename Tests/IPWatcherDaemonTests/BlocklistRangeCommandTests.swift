import Detection
import Foundation
import IPWatcherDaemon
import IPWatcherTestSupport
import Testing

/// `ipwatcher blocklist check|list|add|remove|explain` with range bans on, against the keys a real worker wrote.
@Suite("ipwatcher blocklist with range bans", .needsRedisServer, .timeLimit(.minutes(10)))
struct BlocklistRangeCommandTests {
    static let configuration = """
        detection:
          rules:
            - {name: minute, threshold: 3, window: 3600}
        blocklist:
          ban_seconds: 600
          ranges: {min_units: 2}
        """

    @Test("a range the worker banned is checked, listed, explained and removed; a range added by hand is honoured")
    func rangeThroughTheCommands() async throws {
        try await withScratchDirectory { scratch in
            let config = try scratch.write(Self.configuration, to: "ipwatcher.yaml")
            let settings = try await WorkerSettings.forTests(configurationFile: config)
            #expect(settings.ranges.minUnits == 2)
            try await withWorker(settings) { run in
                let now = nowMilliseconds()
                try await run.redis.push(hits("192.0.2.1 \(now)", 3) + hits("192.0.2.2 \(now)", 3))
                try await waitUntil("the range is banned") { try await run.redis.isMember("192.0.2.0/24", of: "blocklist:ranges") }
                let options = ["--config", config, "--redis-url", run.server.url]
                func ipwatcher(_ arguments: String...) async throws -> (status: Int32?, stdout: String) {
                    let result = try await runIPWatcher(Array(arguments) + options, in: scratch)
                    return (result.outcome.status, result.stdout)
                }

                let fresh = try await ipwatcher("blocklist", "check", "192.0.2.99")
                #expect(fresh.status == 0 && fresh.stdout.contains("in range 192.0.2.0/24"), "\(fresh.stdout)")
                #expect(try await ipwatcher("blocklist", "check", "192.0.2.0/24").status == 0)
                #expect(try await ipwatcher("blocklist", "check", "192.0.3.1").status == 1)

                let explained = try await ipwatcher("blocklist", "explain", "192.0.2.99", "--json")
                let object = try #require(
                    try JSONSerialization.jsonObject(with: Data(explained.stdout.utf8)) as? [String: Any])
                #expect(object["blocked"] as? Bool == true && object["ban"] is NSNull, "\(explained.stdout)")
                let range = try #require(object["range"] as? [String: Any], "\(explained.stdout)")
                #expect(range["range"] as? String == "192.0.2.0/24" && range["rule"] as? String == "minute")
                let since = try #require((range["since"] as? NSNumber)?.int64Value)
                #expect((range["expires_at"] as? NSNumber)?.int64Value == since + 600_000)

                let listed = try await ipwatcher("blocklist", "list", "--json")
                #expect(listed.stdout.contains(#""unit":"192.0.2.0/24","expires_at":\#(since + 600_000),"range":true"#), "\(listed.stdout)")
                #expect(listed.stdout.contains(#""unit":"192.0.2.1","#), "\(listed.stdout)")

                // Removing a unit forgets it in its range's count too.
                #expect(try await ipwatcher("blocklist", "remove", "192.0.2.1").status == 0)
                #expect(try await run.redis.send("ZSCORE", "ipwatcher:range:192.0.2.0/24", "192.0.2.1").isNull)

                let subscriber = try await ChannelSubscriber(port: try #require(run.server.port), channel: "ipwatcher:events")
                let removed = try await ipwatcher("blocklist", "remove", "192.0.2.0/24")
                #expect(removed.status == 0 && removed.stdout.contains("unblocked: range 192.0.2.0/24"), "\(removed.stdout)")
                let event = try PublishedEvent(json: try #require(try await subscriber.nextMessage(within: .seconds(5))))
                #expect(event.event == "unblock" && event.unit == "192.0.2.0/24" && event.fields["range"] as? Bool == true)
                #expect(try await ipwatcher("blocklist", "check", "192.0.2.99").status == 1)
                #expect(try await run.redis.send("HEXISTS", "ipwatcher:bans:info", "192.0.2.0/24").int == 0)

                let added = try await ipwatcher("blocklist", "add", "198.51.100.0/24", "--ban-seconds", "60")
                #expect(added.status == 0 && added.stdout.contains("blocked: range 198.51.100.0/24"), "\(added.stdout)")
                #expect(try await run.redis.isMember("198.51.100.0/24", of: "blocklist:ranges"))
                #expect(try await !run.redis.isMember("198.51.100.0/24", of: "blocklist"))
                #expect(try await run.redis.send("ZSCORE", "ipwatcher:bans:ranges", "198.51.100.0/24").double != nil)
                #expect(try await ipwatcher("blocklist", "check", "198.51.100.5").status == 0)
            }
        }
    }
}
