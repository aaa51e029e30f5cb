import Detection
import IPWatcherTestSupport
import RedisClient
import Testing
import Traffic

@Suite("feed: the send time of each unit's threshold-crossing request", .needsRedisServer, .timeLimit(.minutes(10)))
struct ThresholdCrossingLogTests {
    static let rule = DetectionRule(mode: .fixed, threshold: 15, windowSeconds: 60)

    /// Small batches, so the feed crosses many commands, pipelines and chunks.
    static func configuration(count: Int, rate: Double?) -> FeedConfiguration {
        var configuration = FeedConfiguration(
            scenario: .mixed, rule: rule, seed: 11, limit: .count(count), rate: rate, queueKey: "ips")
        configuration.entriesPerCommand = 100
        configuration.entriesPerPipeline = 700
        configuration.chunkSize = 1000
        return configuration
    }

    @Test("exactly the units sent at least threshold times cross, each once")
    func crossingsMatchTheGroundTruth() async throws {
        try await withRedisServer(.unixSocketOnly) { server in
            let log = ThresholdCrossingLog(threshold: Self.rule.threshold)
            let summary = try await TrafficFeeder(
                endpoint: RedisEndpoint(url: server.url), configuration: Self.configuration(count: 20_000, rate: nil)
            ).run(crossings: log)
            let crossed = log.all.map(\.unit)
            let expected = summary.truth.units.filter { $0.sent >= Self.rule.threshold }.map(\.name)
            #expect(!expected.isEmpty)
            #expect(crossed.count == Set(crossed).count, "a unit crossed twice")
            #expect(Set(crossed) == Set(expected))
            let stamps = log.all.map(\.sentAt)
            #expect(stamps == stamps.sorted(), "crossings are stamped in send order")
        }
    }

    @Test("a paced feed stamps each crossing when its request is due, in send order")
    func pacedStampsFollowTheSchedule() async throws {
        try await withRedisServer(.unixSocketOnly) { server in
            let rate = 20_000.0
            let count = 10_000
            let log = ThresholdCrossingLog(threshold: Self.rule.threshold)
            let before = ContinuousClock.now
            let summary = try await TrafficFeeder(
                endpoint: RedisEndpoint(url: server.url), configuration: Self.configuration(count: count, rate: rate)
            ).run(crossings: log)
            let after = ContinuousClock.now
            #expect(summary.sent == count)

            // Where each unit's threshold-th request sits in the feed: the generator alone predicts the requests.
            var generator = TrafficGenerator(scenario: .mixed, rule: Self.rule, seed: 11, timed: false)
            let predicted = generator.generate(count: count, targetSize: 1000)
            var seen: [String: Int] = [:]
            var position: [String: Int] = [:]
            for (index, event) in predicted.events.enumerated() {
                let name = Self.rule.unit(for: event.address).name
                seen[name, default: 0] += 1
                if seen[name] == Self.rule.threshold { position[name] = index }
            }
            let crossings = log.all
            #expect(crossings.count == position.count)
            let ordered = try crossings.map { crossing in
                (index: try #require(position[crossing.unit]), sentAt: crossing.sentAt)
            }
            #expect(ordered.map(\.index) == ordered.map(\.index).sorted(), "stamped in the order the requests were sent")
            // Pacing never runs ahead of the schedule: request i goes out once (i + 1) / rate has passed since
            // the feed started, which was after `before`. (It may run behind on a busy machine.)
            for crossing in ordered {
                #expect(crossing.sentAt <= after)
                let earliest = before.advanced(by: .seconds(Double(crossing.index + 1) / rate))
                #expect(crossing.sentAt >= earliest, "request \(crossing.index) stamped before it was due")
            }
        }
    }
}
