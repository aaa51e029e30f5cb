import Detection
import IPWatcherTestSupport
import RedisClient
import Testing
import Traffic

/// `ipwatcher feed` through a ``FaultProxy`` that breaks its connection mid-feed: it reconnects, sends again what
/// had no reply, and ends with every request in the queue (duplicates at most as many as it sent again).
@Suite("feed: a bad network", .needsRedisServer, .timeLimit(.minutes(10)))
struct FeedBadNetworkTests {
    /// How the proxy breaks the feed's connection.
    enum Fault: String, Sendable, CaseIterable { case reset, partition }

    @Test("the connection reset mid-reply, or partitioned for 3 s: the feed resends the unanswered and loses nothing",
        arguments: Fault.allCases)
    func feedSurvives(fault: Fault) async throws {
        try await withRedisServer(deadline: .seconds(90)) { server in
            try await withFaultProxy(upstreamPort: try #require(server.port)) { proxy in
                var configuration = FeedConfiguration(
                    scenario: .users, rule: DetectionRule(), seed: 5, limit: .count(60_000), rate: 15_000)
                configuration.entriesPerCommand = 100
                configuration.entriesPerPipeline = 500
                let feeder = TrafficFeeder(
                    endpoint: try RedisEndpoint(url: proxy.redisURL), configuration: configuration,
                    connectionConfiguration: RedisConnectionConfiguration(
                        connectTimeout: .seconds(2), commandTimeout: .seconds(2), clientName: "ipwatcher-feed"))
                try await withConnection(server.url, configuration: .feedTests) { redis in
                    try await withThrowingTaskGroup(of: FeedSummary.self) { group in
                        group.addTask { try await feeder.run() }
                        try await waitUntil("the feed is under way", within: .seconds(20), every: .milliseconds(5)) {
                            (try await redis.send("LLEN", "ips").int ?? 0) >= 3_000
                        }
                        switch fault {
                        case .reset:
                            proxy.resetMidReply(afterBytes: 100)
                            try await waitUntil("the connection was reset", within: .seconds(10)) {
                                proxy.counters.resets >= 1
                            }
                            proxy.clear()
                        case .partition:
                            proxy.partition()
                            try await Task.sleep(for: .seconds(3))
                            proxy.heal()
                        }
                        let summary = try #require(try await group.next())
                        #expect(summary.reconnects >= 1, "the feed never noticed the fault")
                        #expect(summary.sent == 60_000)
                        // A partition holds the pushes of the connection the feed gave up on; the heal delivers them.
                        try await waitUntil("every upstream connection is closed") {
                            proxy.counters.upstreamConnectionsOpen == 0
                        }
                        let length = Int(try await redis.send("LLEN", "ips").int ?? -1)
                        #expect(length >= 60_000, "requests lost: \(60_000 - length)")
                        #expect(length <= 60_000 + summary.resent, "more duplicates than requests sent again")
                        print("feed, \(fault): \(summary.reconnects) reconnect(s), \(summary.resent) sent again, "
                            + "\(length - 60_000) duplicates in the queue")
                    }
                }
            }
        }
    }
}
