import Detection
import IPWatcherDaemon
import RedisClient
import Testing

/// Bans last `ban_seconds` (expiry kept in `ipwatcher:bans`) and are lifted within a second after they end;
/// `ban_seconds: 0` bans for good.
@Suite("Worker: ban expiry", .needsRedisServer, .timeLimit(.minutes(1)))
struct WorkerBanExpiryTests {
    @Test("a one-second ban is lifted from the set and the expiry index within a second after it ends")
    func shortBanIsLifted() async throws {
        var settings = WorkerSettings.forTests
        settings.detection.banSeconds = 1
        try await withWorker(settings) { run in
            let before = nowMilliseconds()
            try await run.redis.push(hits("203.0.113.77", 15))
            try await run.waitUntilHandled(15)
            let after = nowMilliseconds()
            #expect(try await run.redis.isMember("203.0.113.77", of: "blocklist"))
            let expiry = try #require(
                try await run.redis.score(of: "203.0.113.77", in: "ipwatcher:bans"), "no expiry recorded in ipwatcher:bans")
            #expect(Int64(expiry) >= before + 1000 && Int64(expiry) <= after + 1000, "expiry \(expiry)")

            // Poll until it is gone; the moment it is seen gone must be after the expiry and within a second of it.
            try await waitUntil("the ban is lifted", within: .seconds(5), every: .milliseconds(10)) {
                try await !run.redis.isMember("203.0.113.77", of: "blocklist")
            }
            let seenGone = nowMilliseconds()
            #expect(seenGone >= Int64(expiry), "lifted \(Int64(expiry) - seenGone) ms before the ban ended")
            #expect(seenGone <= Int64(expiry) + 1000, "lifted \(seenGone - Int64(expiry)) ms after the ban ended")
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
