import Detection
import IPWatcherDaemon
import IPWatcherTestSupport
import RedisClient
import Testing

/// The worker runs with the largest settings configuration accepts, and with larger ones set in code, without a trap.
@Suite("Worker: extreme settings", .needsRedisServer, .timeLimit(.minutes(10)))
struct WorkerExtremeSettingsTests {
    @Test("a ban of the longest length blocks and records an exact expiry; longer ones are held to it",
        arguments: [BanExpiry.maximumSeconds, Int.max])
    func longestBanBlocks(banSeconds: Int) async throws {
        var settings = WorkerSettings.forTests
        settings.detection.banSeconds = banSeconds
        try await withWorker(settings) { run in
            let subscriber = try await ChannelSubscriber(port: try #require(run.server.port), channel: "ipwatcher:events")
            let before = nowMilliseconds()
            try await run.redis.push(hits("198.51.100.70", 15))
            let message = try #require(try await subscriber.nextMessage(within: .seconds(5)), "no event was published")
            let after = nowMilliseconds()

            #expect(try await run.redis.isMember("198.51.100.70", of: "blocklist"))
            let score = try #require(try await run.redis.send("ZSCORE", "ipwatcher:bans", "198.51.100.70").double)
            let expiresAt = try #require(try PublishedEvent(json: message).expiresAt, "\(message)")
            // A longer ban (possible only in code: configuration refuses it) is held to the longest.
            let length: Int64 = 315_360_000_000
            #expect(expiresAt >= before + length && expiresAt <= after + length, "\(message)")
            #expect(score == Double(expiresAt))
        }
    }

    @Test("rolling windows count under the highest threshold without a trap",
        arguments: [DetectionRule.maximumThreshold, Int.max])
    func rollingWithHighestThreshold(threshold: Int) async throws {
        var settings = WorkerSettings.forTests(mode: .rolling)
        settings.detection.singleRule.threshold = threshold
        try await withWorker(settings) { run in
            try await run.redis.push(hits("198.51.100.71", 50))
            try await run.waitUntilHandled(50)
            #expect(try await run.redis.rollingEvents(at: "ipwatcher:rolling:60:198.51.100.71").count == 50)
            #expect(try await !run.redis.isMember("198.51.100.71", of: "blocklist"))
            #expect(run.totals.blocked == 0)
        }
    }

    @Test("the largest values configuration accepts give a working worker")
    func largestConfiguredValuesWork() async throws {
        let configuration = try await loadConfiguration(overrides: [
            "detection.mode": "rolling", "detection.threshold": "\(DetectionRule.maximumThreshold)",
            "blocklist.ban_seconds": "\(BanExpiry.maximumSeconds)", "detection.window": "86400",
            "queue.rejected_max": "10000000", "queue.batch": "100000",
        ])
        var settings = WorkerSettings(configuration: configuration)
        settings.blockTimeout = .milliseconds(100)
        settings.lease = nil
        settings.metricsListen = nil
        try await withWorker(settings) { run in
            try await run.redis.push(hits("198.51.100.72", 20) + ["not-an-address"])
            try await run.waitUntilHandled(21)
            #expect(try await run.redis.rollingEvents(at: "ipwatcher:rolling:86400:198.51.100.72").count == 20)
        }
    }
}
