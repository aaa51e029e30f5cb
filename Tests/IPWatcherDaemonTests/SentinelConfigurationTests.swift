import RedisClient
import Testing

@testable import IPWatcherDaemon

/// `redis+sentinel://` URLs in the configuration: accepted as a single master, merged with the password and TLS
/// settings as any URL is, and refused beside `redis.cluster`.
@Suite("Configuration: Redis Sentinel")
struct SentinelConfigurationTests {
    @Test("a redis+sentinel:// URL is one master behind its sentinels, with IPWATCHER_REDIS_PASSWORD as the master's password")
    func sentinelURL() async throws {
        let configuration = try await loadConfiguration(
            environment: ["IPWATCHER_REDIS_PASSWORD": "data-secret"],
            overrides: ["redis.url": "redis+sentinel://10.0.0.1:26379,10.0.0.2/cache?sentinel_password=watch-secret"])
        #expect(!configuration.usesCluster)
        #expect(try configuration.clusterSeeds == nil)
        let endpoint = try configuration.endpoint
        #expect(endpoint.password == "data-secret")
        guard case .sentinel(let master) = endpoint.address else {
            Issue.record("expected a sentinel endpoint, got \(endpoint)")
            return
        }
        #expect(master.name == "cache")
        #expect(master.sentinels.map(\.port) == [26379, 26379])
        #expect(master.password == "watch-secret")
        let rendered = configuration.renderedYAML()
        #expect(!rendered.contains("watch-secret") && !rendered.contains("data-secret"))
        #expect(rendered.contains("# Redis Sentinel: master \"cache\", asked of 10.0.0.1:26379, 10.0.0.2:26379.\n"))
    }

    @Test("redis.cluster with a sentinel URL, and a sentinel URL without its master name, are refused naming the key")
    func refused() async throws {
        let cluster = try #require(
            await loadingError(overrides: ["redis.url": "redis+sentinel://127.0.0.1/m", "redis.cluster": "true"]))
        #expect(cluster.key == "redis.cluster")
        #expect("\(cluster)".contains("Sentinel watches one master"))
        let nameless = try #require(await loadingError(overrides: ["redis.url": "redis+sentinel://127.0.0.1:26379"]))
        #expect(nameless.key == "redis.url")
        #expect("\(nameless)".contains("master name is missing"))
    }

    @Test("redis.tls settings need a rediss+sentinel:// URL, and apply to it")
    func tlsSettings() async throws {
        let plain = try #require(
            await loadingError(overrides: ["redis.url": "redis+sentinel://127.0.0.1/m", "redis.tls.verify": "none"]))
        #expect(plain.key == "redis.tls.verify")
        let tls = try await loadConfiguration(
            overrides: ["redis.url": "rediss+sentinel://127.0.0.1/m", "redis.tls.verify": "none"])
        #expect(try tls.endpoint.tls?.verification == RedisTLSOptions.Verification.none)
    }
}
