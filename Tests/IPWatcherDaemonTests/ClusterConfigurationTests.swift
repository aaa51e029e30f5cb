import RedisClient
import Testing

@testable import IPWatcherDaemon

/// `redis.cluster`, `redis+cluster://` URLs and `queue.shards`, and the key names they forbid.
@Suite("Configuration: Redis Cluster and queue shards")
struct ClusterConfigurationTests {
    @Test("a redis+cluster:// URL names every seed and turns cluster keys on")
    func clusterURL() async throws {
        let configuration = try await loadConfiguration(
            overrides: ["redis.url": "redis+cluster://10.0.0.1:7000,10.0.0.2:7001", "queue.shards": "12"])
        #expect(configuration.usesCluster)
        let seeds = try #require(try configuration.clusterSeeds)
        #expect(seeds.map(\.address) == [.tcp(host: "10.0.0.1", port: 7000), .tcp(host: "10.0.0.2", port: 7001)])
        #expect(try configuration.endpoint.address == .tcp(host: "10.0.0.1", port: 7000))
        let settings = configuration.workerSettings
        #expect(settings.clusterKeys && settings.queueShards == 12)
        #expect(settings.bansKey == "ipwatcher:bans:{blocklist}")
        #expect(settings.processingKey(shardKey: "ips:{3}").hasSuffix(":{3}"))
        // check-config says what the URL implies, since `cluster: false` alone would mislead.
        let rendered = configuration.renderedYAML()
        #expect(rendered.contains("# Redis Cluster, seeds: 10.0.0.1:7000, 10.0.0.2:7001.\n"))
        #expect(rendered.contains("# Queue shards: ips:{0} … ips:{11}.\n"))
    }

    @Test("redis.cluster: true makes the one URL a seed; without it there are no seeds and the old key names")
    func clusterFlag() async throws {
        let flagged = try await loadConfiguration(overrides: ["redis.cluster": "true"])
        #expect(try flagged.clusterSeeds?.count == 1)
        let single = try await loadConfiguration()
        #expect(try single.clusterSeeds == nil)
        #expect(single.workerSettings.bansKey == "ipwatcher:bans")
        #expect(single.workerSettings.processingKey(shardKey: "ips") == "ipwatcher:processing:\(single.workerSettings.workerID)")
    }

    @Test("keys whose braces would split what must share a slot are refused, naming the key")
    func refusedKeys() async throws {
        let cases: [([String: String], String)] = [
            (["redis.cluster": "true", "detection.key_prefix": "{ipw}:"], "detection.key_prefix"),
            (["queue.shards": "4", "queue.key": "{web}ips"], "queue.key"),
            (["redis.cluster": "true", "blocklist.key": "a}b"], "blocklist.key"),
            (["redis.url": "unix:///run/redis.sock", "redis.cluster": "true"], "redis.url"),
            (["queue.shards": "0"], "queue.shards"),
            (["queue.shards": "1025"], "queue.shards"),
        ]
        for (overrides, key) in cases {
            let error = try #require(await loadingError(overrides: overrides), "\(overrides) loaded")
            #expect(error.key == key, "\(overrides): \(error)")
        }
        // Braces are fine on a single server with one shard.
        #expect(await loadingError(overrides: ["detection.key_prefix": "{ipw}:"]) == nil)
    }
}
