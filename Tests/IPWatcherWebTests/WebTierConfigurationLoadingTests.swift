import IPWatcherDaemon
import IPWatcherTestSupport
import IPWatcherWeb
import IPWatcherWebConfiguration
import Testing

/// The web tier reads the worker's own configuration file, so the two agree on keys, shards and prefixes.
@Suite("WebTierConfiguration from the worker's configuration")
struct WebTierConfigurationLoadingTests {
    static func load(_ yaml: String, environment: [String: String] = [:], redisURL: String? = nil) async throws
        -> WebTierConfiguration
    {
        try await withScratchDirectory { scratch in
            let file = try scratch.write(yaml, to: "ipwatcher.yaml")
            return try await WebTierConfiguration.load(
                workerConfigurationFile: file, environment: environment, redisURL: redisURL)
        }
    }

    @Test("the queue, blocklist, ban index, events channel and prefixes come from the worker's file")
    func keysAndPrefixesComeFromTheWorkersFile() async throws {
        let configuration = try await Self.load(
            """
            redis:
              url: redis://127.0.0.1:6390/2
            queue:
              key: "web:ips"
              shards: 4
            detection:
              key_prefix: "shop:"
              ipv4_prefix: 24
              ipv6_prefix: 48
            blocklist:
              key: "shop:blocked"
              events_channel: "shop:events"
            """)
        #expect(configuration.endpoint.description.contains("6390"))
        #expect(configuration.recorder.queue.baseKey == "web:ips" && configuration.recorder.queue.count == 4)
        #expect(configuration.mirror.blocklistKey == "shop:blocked" && configuration.mirror.bansKey == "shop:bans")
        #expect(configuration.mirror.eventsChannel == "shop:events")
        #expect(configuration.mirror.ipv4Prefix == 24 && configuration.mirror.ipv6Prefix == 48)
    }

    @Test("range bans on in the worker's file: the mirror copies the ranges set and its index; off: it reads neither")
    func rangesComeFromTheWorkersFile() async throws {
        let on = try await Self.load(
            """
            detection:
              key_prefix: "shop:"
            blocklist:
              ranges: {min_units: 4, ipv4_prefix: 20, key: "shop:ranges"}
            """)
        let ranges = try #require(on.mirror.ranges)
        #expect(ranges.key == "shop:ranges" && ranges.bansKey == "shop:bans:ranges")
        #expect(ranges.policy.ipv4Prefix == 20 && ranges.policy.ipv6Prefix == 48 && ranges.policy.minUnits == 4)
        #expect(try await Self.load("blocklist:\n  ban_seconds: 60\n").mirror.ranges == nil)
    }

    @Test("the environment and an explicit Redis URL override the file, as they do for the worker")
    func environmentAndURLOverrideTheFile() async throws {
        let configuration = try await Self.load(
            "queue:\n  key: filequeue\n", environment: ["IPWATCHER_QUEUE_KEY": "envqueue"],
            redisURL: "redis://127.0.0.1:6391")
        #expect(configuration.recorder.queue.baseKey == "envqueue")
        #expect(configuration.endpoint.description.contains("6391"))
    }

    @Test(
        "what the web tier cannot do is refused with a one-line error naming the key",
        arguments: [
            ("blocklist:\n  events_channel: \"\"\n", "blocklist.events_channel"),
            ("redis:\n  url: redis+cluster://127.0.0.1:7000,127.0.0.1:7001\n", "redis.url"),
            ("detection:\n  ipv4_prefix: 40\n", "detection.ipv4_prefix"),
            ("queue:\n  shardz: 2\n", "queue.shardz"),
        ])
    func unusableConfigurationIsRefusedNamingTheKey(yaml: String, key: String) async throws {
        do {
            _ = try await Self.load(yaml)
            Issue.record("loaded \(yaml.debugDescription)")
        } catch let error as ConfigurationError {
            #expect(error.key == key, "\(error)")
            #expect(!error.description.contains("\n") && error.description.contains(key), "\(error)")
        }
    }
}
