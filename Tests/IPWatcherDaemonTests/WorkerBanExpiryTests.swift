import Detection
import IPWatcherDaemon
import IPWatcherTestSupport
import RedisClient
import Testing

/// Bans last `ban_seconds` (expiry kept in `ipwatcher:bans`) and are lifted within a second after they end;
/// `ban_seconds: 0` bans for good.
@Suite("Worker: ban expiry", .needsRedisServer, .timeLimit(.minutes(10)), .measuresTime)
struct WorkerBanExpiryTests {
    @Test("a two-second ban is lifted from the set and the expiry index within a second after it ends")
    func shortBanIsLifted() async throws {
        var settings = WorkerSettings.forTests
        settings.detection.banSeconds = 2
        try await withWorker(settings) { run in
            let subscriber = try await ChannelSubscriber(port: try #require(run.server.port), channel: "ipwatcher:events")
            let before = nowMilliseconds()
            try await run.redis.push(hits("203.0.113.77", 15))
            let block = try PublishedEvent(json: try #require(try await subscriber.nextMessage(), "no block event"))
            #expect(block.event == "block")
            let expiry = try #require(block.expiresAt, "the block event has no expires_at")
            #expect(expiry >= before + 2000, "expiry \(expiry)")
            #expect(try await run.redis.score(of: "203.0.113.77", in: "ipwatcher:bans") == Double(expiry))

            // The unblock event carries the worker's own time of the removal, which a busy machine's scheduling
            // of this test cannot delay: it must lie after the expiry and within a second of it.
            let unblock = try PublishedEvent(
                json: try #require(try await subscriber.nextMessage(within: .seconds(10)), "no unblock event"))
            #expect(unblock.event == "unblock" && unblock.unit == "203.0.113.77")
            let lifted = try #require(unblock.at)
            #expect(lifted >= expiry, "lifted \(expiry - lifted) ms before the ban ended")
            #expect(lifted <= expiry + 1000, "lifted \(lifted - expiry) ms after the ban ended")
            #expect(try await !run.redis.isMember("203.0.113.77", of: "blocklist"))
            #expect(try await run.redis.score(of: "203.0.113.77", in: "ipwatcher:bans") == nil)
            try await run.waitForTotals("the unblock is counted") { $0.unblocked == 1 }
            #expect(run.totals.blocked == 1)
        }
    }

    @Test("ban_seconds 0 blocks for good: no expiry entry, still blocked seconds later")
    func zeroBanSecondsIsPermanent() async throws {
        var settings = WorkerSettings.forTests
        settings.detection.banSeconds = 0
        try await withWorker(settings) { run in
            try await run.redis.push(hits("203.0.113.78", 15))
            try await run.waitUntilHandled(15)
            #expect(try await run.redis.isMember("203.0.113.78", of: "blocklist"))
            #expect(try await run.redis.score(of: "203.0.113.78", in: "ipwatcher:bans") == nil)
            #expect(try await run.redis.send("EXISTS", "ipwatcher:bans").int == 0)

            try await Task.sleep(for: .milliseconds(2200))
            #expect(try await run.redis.isMember("203.0.113.78", of: "blocklist"))
            #expect(run.totals.unblocked == 0)
        }
    }
}
