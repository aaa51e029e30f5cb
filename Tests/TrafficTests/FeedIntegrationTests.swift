import Detection
import IPWatcherTestSupport
import RESP
import RedisClient
import Synchronization
import Testing
import Traffic

@Suite("feed: sends exactly what it says", .needsRedisServer, .timeLimit(.minutes(10)), .measuresTime)
struct FeedIntegrationTests {
    static let rule = DetectionRule(mode: .fixed, threshold: 15, windowSeconds: 60)

    /// Small batches, so one test crosses many commands, pipelines and chunks.
    static func configuration(_ scenario: TrafficScenario, count: Int, withTime: Bool = false) -> FeedConfiguration {
        var configuration = FeedConfiguration(
            scenario: scenario, rule: rule, seed: 7, limit: .count(count), withTime: withTime, queueKey: "ips")
        configuration.entriesPerCommand = 100
        configuration.entriesPerPipeline = 700
        configuration.chunkSize = 1000
        return configuration
    }

    /// Per-unit counts of the list's entries, by the worker's own parser and unit naming.
    static func tallyList(_ entries: [String]) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for entry in entries {
            let parsed = try QueueEntryParser.parse(entry).get()
            counts[rule.unit(for: parsed.address).name, default: 0] += 1
        }
        return counts
    }

    @Test("LLEN equals the count and the list's per-unit counts equal the ground truth", arguments: TrafficScenario.named)
    func sendsWhatItSays(scenario: TrafficScenario) async throws {
        try await withRedisServer(.unixSocketOnly) { server in
            let configuration = Self.configuration(scenario, count: 12_345)
            let summary = try await TrafficFeeder(endpoint: RedisEndpoint(url: server.url), configuration: configuration).run()
            #expect(summary.sent == 12_345)
            #expect(summary.commands >= 12_345 / 100)
            try await withConnection(server.url, configuration: .feedTests) { redis in
                let length = try await redis.send("LLEN", "ips").int
                #expect(length == 12_345)
                let entries = try await redis.listContents("ips")
                let counts = try Self.tallyList(entries)
                let truth = Dictionary(uniqueKeysWithValues: summary.truth.units.map { ($0.name, $0.sent) })
                #expect(counts == truth)

                // The generator alone, with the feeder's chunking, predicts the very same requests; LPUSH puts
                // the newest at the head, so the list reads back to front.
                guard !configuration.sendsEventTimes else { return }
                var generator = TrafficGenerator(
                    scenario: scenario, setup: DetectionSetup(rule: Self.rule), seed: 7, timed: false,
                    addressesPerRound: configuration.addressesPerRound)
                let predicted = generator.generate(count: 12_345, targetSize: 1000)
                #expect(entries.reversed() == predicted.events.map(\.entry))
                #expect(predicted.truth.units == summary.truth.units)
            }
        }
    }

    @Test("event times are attached and lie where the worker accepts them")
    func eventTimes() async throws {
        try await withRedisServer(.unixSocketOnly) { server in
            let before = WallClock().nowMilliseconds()
            let configuration = Self.configuration(.mixed, count: 5000, withTime: true)
            let summary = try await TrafficFeeder(endpoint: RedisEndpoint(url: server.url), configuration: configuration).run()
            let after = WallClock().nowMilliseconds()
            #expect(summary.timed)
            #expect(summary.truth.unitCounts[.straddle] ?? 0 > 0)
            try await withConnection(server.url, configuration: .feedTests) { redis in
                let entries = try await redis.listContents("ips")
                #expect(entries.count == 5000)
                for entry in entries {
                    let time = try #require(try QueueEntryParser.parse(entry).get().eventTimeMilliseconds)
                    #expect(time >= before - 60_000 + StraddlePlacement(rule: Self.rule).latencyAllowance)
                    #expect(time <= after)
                }
            }
        }
    }

    @Test("--ip ADDR --count N pushes that address N times")
    func singleAddress() async throws {
        try await withRedisServer(.unixSocketOnly) { server in
            let address = try #require(IPAddress("198.51.100.7"))
            let configuration = Self.configuration(.single(address), count: 20)
            let summary = try await TrafficFeeder(endpoint: RedisEndpoint(url: server.url), configuration: configuration).run()
            #expect(summary.truth.units.map(\.name) == ["198.51.100.7"])
            #expect(summary.truth.units.first?.expectedBlocked == true)
            try await withConnection(server.url, configuration: .feedTests) { redis in
                let entries = try await redis.listContents("ips")
                #expect(entries == Array(repeating: "198.51.100.7", count: 20))
            }
        }
    }

    @Test("a rate paces the feed; a duration with a rate sends rate × duration; progress is reported")
    func pacing() async throws {
        try await withRedisServer(.unixSocketOnly) { server in
            let endpoint = try RedisEndpoint(url: server.url)
            var configuration = Self.configuration(.users, count: 0)
            // 1.5 s of pacing leaves room for several 100 ms progress reports even on a loaded machine.
            configuration.limit = .duration(.milliseconds(1500))
            configuration.rate = 400
            configuration.progressInterval = .milliseconds(100)
            let seen = Mutex<[FeedProgress]>([])
            let clock = ContinuousClock()
            let start = clock.now
            let summary = try await TrafficFeeder(endpoint: endpoint, configuration: configuration).run { progress in
                seen.withLock { $0.append(progress) }
            }
            let elapsed = clock.now - start
            #expect(summary.sent == 600)
            #expect(elapsed >= .milliseconds(1400), "paced: \(elapsed)")
            let reports = seen.withLock { $0 }
            #expect(reports.count >= 2, "at least one report while sending, and the final one")
            #expect(reports.last?.stage == .finished)
            #expect(reports.last?.sent == 600)
            #expect(reports.dropLast().allSatisfy { $0.sent <= 600 && $0.stage == .sending })
            try await withConnection(server.url, configuration: .feedTests) { redis in
                let length = try await redis.send("LLEN", "ips").int
                #expect(length == 600)
            }
        }
    }

    @Test("a duration without a rate sends as many as fit and says how many")
    func unpacedDuration() async throws {
        try await withRedisServer(.unixSocketOnly) { server in
            var configuration = Self.configuration(.bots, count: 0)
            configuration.limit = .duration(.milliseconds(200))
            configuration.queueKey = "other"
            let summary = try await TrafficFeeder(endpoint: RedisEndpoint(url: server.url), configuration: configuration).run()
            #expect(summary.sent > 0)
            #expect(summary.elapsed < .seconds(2))
            try await withConnection(server.url, configuration: .feedTests) { redis in
                let length = try await redis.send("LLEN", "other").int
                let exists = try await redis.send("EXISTS", "ips").int
                #expect(length == Int64(summary.sent))
                #expect(exists == 0)
            }
        }
    }

    @Test("a key of the wrong type fails the feed with Redis's error")
    func wrongType() async throws {
        try await withRedisServer(.unixSocketOnly) { server in
            try await withConnection(server.url, configuration: .feedTests) { redis in _ = try await redis.send("SET", "ips", "x") }
            let configuration = Self.configuration(.users, count: 100)
            await #expect(throws: RedisError.self) {
                _ = try await TrafficFeeder(endpoint: RedisEndpoint(url: server.url), configuration: configuration).run()
            }
        }
    }
}
