import Detection
import IPWatcherDaemon
import IPWatcherTestSupport
import RedisClient
import Testing

/// Each new block is announced once, as JSON on `ipwatcher:events`.
@Suite("Worker: block events", .needsRedisServer, .timeLimit(.minutes(10)))
struct WorkerBlockEventTests {
    @Test("a new block is published once with unit, count, window, mode and expires_at",
        arguments: DetectionRule.Mode.allCases)
    func newBlockIsPublishedOnce(mode: DetectionRule.Mode) async throws {
        try await withWorker(.forTests(mode: mode)) { run in
            let subscriber = try await ChannelSubscriber(port: try #require(run.server.port), channel: "ipwatcher:events")
            let before = nowMilliseconds()
            try await run.redis.push(hits("198.51.100.60", 15))
            let message = try #require(try await subscriber.nextMessage(within: .seconds(5)), "no event was published")
            let after = nowMilliseconds()

            let event = try PublishedEvent(json: message)
            #expect(event.event == "block", "\(message)")
            #expect(event.unit == "198.51.100.60", "\(message)")
            #expect(event.count == 15, "\(message)")
            #expect(event.window == 60, "\(message)")
            #expect(event.mode == mode.rawValue, "\(message)")
            let expiresAt = try #require(event.expiresAt, "expires_at must be a time: \(message)")
            #expect(expiresAt >= before + 3_600_000 && expiresAt <= after + 3_600_000, "\(message)")
            #expect(try await run.redis.isMember("198.51.100.60", of: "blocklist"))

            // More hits of a unit already blocked are no new block.
            try await run.redis.push(hits("198.51.100.60", 5))
            try await run.waitUntilHandled(20)
            #expect(try await subscriber.messages(during: .milliseconds(300)) == [])
            #expect(run.totals.blocked == 1)
        }
    }

    @Test("a dry run publishes the event but never writes the blocklist", arguments: DetectionRule.Mode.allCases)
    func dryRunPublishesButDoesNotBlock(mode: DetectionRule.Mode) async throws {
        var settings = WorkerSettings.forTests(mode: mode)
        settings.detection.dryRun = true
        try await withWorker(settings) { run in
            let subscriber = try await ChannelSubscriber(port: try #require(run.server.port), channel: "ipwatcher:events")
            try await run.redis.push(hits("198.51.100.61", 20))
            let message = try #require(try await subscriber.nextMessage(within: .seconds(5)), "no event was published")
            let totals = try await run.waitUntilHandled(20)

            let event = try PublishedEvent(json: message)
            #expect(event.unit == "198.51.100.61", "\(message)")
            #expect((event.count ?? 0) >= 15, "\(message)")
            #expect(event.window == 60, "\(message)")
            #expect(event.mode == mode.rawValue, "\(message)")
            #expect(event.hasExpiresAt, "\(message)")

            #expect(try await !run.redis.isMember("198.51.100.61", of: "blocklist"))
            #expect(try await run.redis.send("EXISTS", "blocklist").int == 0)
            #expect(try await run.redis.send("EXISTS", "ipwatcher:bans").int == 0)
            #expect(totals.blocked == 1, "a dry run counts the units it would have blocked")
        }
    }
}
