import Detection
import IPWatcherTestSupport
import LocalRedis
import RedisClient
import Testing
import Traffic

/// `ipwatcher feed` when Redis goes away mid-feed: it reconnects, sends again what had no reply, and ends with
/// every request in the queue (some possibly twice), instead of failing.
@Suite("feed: survives a Redis restart", .needsRedisServer, .timeLimit(.minutes(10)), .measuresTime)
struct FeedReconnectTests {
    @Test("Redis killed and restarted mid-feed: the feed reconnects, resends the unanswered pipelines, loses nothing")
    func feedSurvivesRedisRestart() async throws {
        // Every acknowledged push is on disk, so what the feed was told is queued survives the kill.
        var options = LocalRedisServerOptions.persistent
        options.tcp = false
        let server = try await LocalRedisServer.start(options)
        do {
            var configuration = FeedConfiguration(
                scenario: .users, rule: DetectionRule(), seed: 3, limit: .count(90_000), rate: 15_000)
            configuration.entriesPerCommand = 100
            configuration.entriesPerPipeline = 500
            let feeder = TrafficFeeder(
                endpoint: try RedisEndpoint(url: server.url), configuration: configuration,
                connectionConfiguration: RedisConnectionConfiguration(
                    connectTimeout: .seconds(2), commandTimeout: .seconds(2), clientName: "ipwatcher-feed"))
            async let fed = feeder.run()
            // Kill Redis once the feed is under way: a feed whose first connection fails is meant to fail.
            let started = try await withConnection(server.url, configuration: .feedTests) { redis in
                for _ in 0..<1000 {
                    if (try await redis.send("LLEN", "ips").int ?? 0) >= 3_000 { return true }
                    try await Task.sleep(for: .milliseconds(5))
                }
                return false
            }
            #expect(started, "the feed never got going")
            // At 15,000/s the feed lasts 6 s, so even a test task starved for seconds on a busy machine kills
            // Redis mid-feed; the first try, 2 s long, once finished before the kill in a full CI run.
            await server.kill()
            try await Task.sleep(for: .milliseconds(500))
            try await server.restart()
            let summary = try await fed
            #expect(summary.reconnects >= 1, "the feed never noticed that Redis went away")
            #expect(summary.sent == 90_000)
            try await withConnection(server.url, configuration: .feedTests) { redis in
                let length = Int(try await redis.send("LLEN", "ips").int ?? -1)
                #expect(length >= 90_000, "requests lost: \(90_000 - length)")
                #expect(length <= 90_000 + summary.resent, "more duplicates than requests sent again")
            }
            #expect(summary.text.contains("sent again"))
            await server.stop()
        } catch {
            await server.stop()
            throw error
        }
    }
}
