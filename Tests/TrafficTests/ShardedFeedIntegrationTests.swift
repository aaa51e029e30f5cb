import Detection
import IPWatcherDaemon
import IPWatcherTestSupport
import LocalRedis
import Logging
import RESP
import RedisClient
import Testing
import Traffic

/// The producer side of a sharded queue and a Redis Cluster: `ipwatcher feed` pushes each entry to the shard
/// the CRC-32 of its address picks, on one server and on a cluster, and the blocklist tool's store works on a
/// cluster.
@Suite(
    "feed and blocklist: sharded queues and a Redis Cluster", .needsRedisCluster, .loadsMachine,
    .timeLimit(.minutes(10)))
struct ShardedFeedIntegrationTests {
    static let rule = DetectionRule(mode: .fixed, threshold: 15, windowSeconds: 60)

    /// A mixed feed of `count` entries over `shards` shards, in small batches so it crosses many commands.
    static func configuration(count: Int, shards: Int) -> FeedConfiguration {
        var configuration = FeedConfiguration(
            scenario: .mixed, rule: rule, seed: 11, limit: .count(count), withTime: true, queueKey: "ips")
        configuration.queueShards = shards
        configuration.entriesPerCommand = 100
        configuration.entriesPerPipeline = 700
        configuration.chunkSize = 1000
        return configuration
    }

    /// CRC-32 computed bit by bit (no table), independently of ``QueueShards``; checked against Python's
    /// `zlib.crc32` in ``independentCRCMatchesZlib()``.
    static func crc32(_ text: Substring) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in text.utf8 {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    /// The shard an entry belongs in by the producer rule: CRC-32 of the text before the first space, mod `n`.
    static func expectedShard(of entry: String, shards: Int) -> Int {
        let address = entry.split(separator: " ", maxSplits: 1)[0]
        return Int(crc32(address) % UInt32(shards))
    }

    @Test("the test's own CRC-32 gives Python zlib.crc32's values, so it can judge the feeder's shard choice")
    func independentCRCMatchesZlib() {
        // python3 -c 'import zlib; print(zlib.crc32(b"203.0.113.7"))' and likewise.
        #expect(Self.crc32("203.0.113.7") == 1_555_461_494)
        #expect(Self.crc32("2001:db8:1:2::5") == 2_395_296_298)
        #expect(Self.crc32("192.0.2.1") == 3_680_567_351)
        #expect(Self.crc32("100.64.0.9") == 3_871_544_913)
        #expect(QueueShards(baseKey: "ips", count: 4).shard(forEntry: "192.0.2.1 1764000000123") == 3)
        #expect(QueueShards(baseKey: "ips", count: 6).shard(forEntry: "100.64.0.9") == 3)
    }

    @Test("with queue.shards 4 on one server, the shards' LLEN sum to the count and each entry is in its CRC-32 shard")
    func shardedFeedOnOneServer() async throws {
        try await withRedisServer(.unixSocketOnly) { server in
            let configuration = Self.configuration(count: 9_876, shards: 4)
            let summary = try await TrafficFeeder(
                endpoint: RedisEndpoint(url: server.url), configuration: configuration
            ).run()
            #expect(summary.sent == 9_876)
            try await withConnection(server.url, configuration: .feedTests) { redis in
                #expect(try await redis.send("EXISTS", "ips").int == 0, "nothing goes to the unsharded key")
                var total = 0
                var tally: [String: Int] = [:]
                for shard in 0..<4 {
                    let entries = try await redis.listContents("ips:{\(shard)}")
                    #expect(!entries.isEmpty, "shard \(shard) got no entries of a 9,876-entry mixed feed")
                    total += entries.count
                    for entry in entries {
                        #expect(Self.expectedShard(of: entry, shards: 4) == shard, "\(entry) is in shard \(shard)")
                        let parsed = try QueueEntryParser.parse(entry).get()
                        tally[Self.rule.unit(for: parsed.address).name, default: 0] += 1
                    }
                }
                #expect(total == 9_876)
                let truth = Dictionary(uniqueKeysWithValues: summary.truth.units.map { ($0.name, $0.sent) })
                #expect(tally == truth)
            }
        }
    }

    @Test("a redis+cluster:// feed with 6 shards lands every entry on its shard's master, in its CRC-32 shard")
    func shardedFeedOnCluster() async throws {
        try await withRedisCluster { cluster in
            let seeds = try RedisEndpoint.clusterSeeds(
                url: "redis+cluster://" + cluster.nodes.map(\.address).joined(separator: ","))
            let configuration = Self.configuration(count: 8_000, shards: 6)
            let summary = try await TrafficFeeder(
                endpoint: seeds[0], clusterSeeds: seeds, configuration: configuration
            ).run()
            #expect(summary.sent == 8_000)
            #expect(summary.resent == 0)

            var total = 0
            var mastersUsed: Set<Int> = []
            for shard in 0..<6 {
                let key = "ips:{\(shard)}"
                let slot = Int(RedisHashSlot(key: key).rawValue)
                let master = try #require(cluster.masters.first { $0.slots.contains { $0.contains(slot) } })
                mastersUsed.insert(master.port)
                let entries = try await withConnection(master.url, configuration: .feedTests) { try await $0.listContents(key) }
                total += entries.count
                for entry in entries {
                    #expect(Self.expectedShard(of: entry, shards: 6) == shard, "\(entry) is in shard \(shard)")
                }
            }
            #expect(total == 8_000)
            #expect(mastersUsed.count > 1, "6 shard tags should spread over more than one of the 3 masters")
        }
    }

    @Test("the feed's report reads the queue length over every shard of the cluster")
    func drainSumsShardsOnCluster() async throws {
        try await withRedisCluster { cluster in
            let seeds = try RedisEndpoint.clusterSeeds(url: "redis+cluster://\(cluster.nodes[0].address)")
            var configuration = Self.configuration(count: 600, shards: 6)
            configuration.scenario = .users
            let runner = FeedRunner(
                endpoint: seeds[0], clusterSeeds: seeds, configuration: configuration,
                report: ReportSettings(drainTimeout: .milliseconds(300), grace: .zero))
            // No worker runs: the queue cannot drain, and the report says how much is left over all shards.
            let outcome = try await runner.run()
            let drain = try #require(outcome.drain)
            #expect(!drain.drained)
            #expect(drain.remaining == 600)
            #expect(outcome.summary.sent == 600)
        }
    }

    @Test("blocklist add, check, list and remove work on a cluster, the ban set in the blocklist's slot")
    func blocklistOnCluster() async throws {
        try await withRedisCluster { cluster in
            let configuration = try await IPWatcherConfiguration.load(
                file: nil, fileIsExplicit: false, environment: [:],
                overrides: ["redis.url": "redis+cluster://\(cluster.nodes[1].address)", "blocklist.key": "blocklist"])
            #expect(configuration.usesCluster)
            let settings = configuration.workerSettings
            #expect(RedisHashSlot(key: settings.bansKey) == RedisHashSlot(key: settings.blocklistKey))
            let seeds = try #require(try configuration.clusterSeeds)
            var logger = Logger(label: "test.blocklist")
            logger.logLevel = .error
            let router = RedisRouter(
                endpoint: seeds[0], clusterSeeds: seeds, configuration: configuration.redisConnectionConfiguration,
                logger: logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await router.run() }
                defer { group.cancelAll() }
                let store = BlocklistStore(
                    router: router, blocklistKey: settings.blocklistKey, bansKey: settings.bansKey)
                let now: Int64 = 1_764_000_000_000
                try await store.add("203.0.113.7", banSeconds: 600, now: now)
                try await store.add("2001:db8:1:2::/64", banSeconds: 0, now: now)
                #expect(try await store.lookup("203.0.113.7")?.expiresAt == now + 600_000)
                #expect(try await store.lookup("2001:db8:1:2::/64").map { $0.expiresAt == nil } == true)
                #expect(try await store.lookup("198.51.100.1") == nil)
                #expect(try await store.list().map(\.unit) == ["2001:db8:1:2::/64", "203.0.113.7"])

                // The web tier's check stays one SISMEMBER, answered by the master of the blocklist's slot.
                let member = try await router.send(
                    RESPCommand("SISMEMBER", settings.blocklistKey, "203.0.113.7"), key: settings.blocklistKey)
                #expect(member.int == 1)
                let score = try await router.send(
                    RESPCommand("ZSCORE", settings.bansKey, "203.0.113.7"), key: settings.bansKey)
                #expect(score.double == Double(now + 600_000))

                #expect(try await store.remove("203.0.113.7"))
                #expect(try await !store.remove("203.0.113.7"))
                #expect(try await store.lookup("203.0.113.7") == nil)
                #expect(try await store.list().map(\.unit) == ["2001:db8:1:2::/64"])
                let ban = try await router.send(
                    RESPCommand("ZSCORE", settings.bansKey, "203.0.113.7"), key: settings.bansKey)
                #expect(ban.isNull, "removing a unit leaves no expiry behind")
            }
        }
    }
}
