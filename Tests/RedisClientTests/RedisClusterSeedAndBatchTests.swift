import RESP
import Testing

@testable import RedisClient

/// `redis+cluster://` seed URLs, and the pure split and reassembly behind ``RedisClusterClient/pipeline(_:timeout:)``.
@Suite("Redis Cluster seed URLs and pipeline batching")
struct RedisClusterSeedAndBatchTests {
    @Test("redis+cluster:// gives one plain endpoint per host, with the default port where none is given")
    func plainSeeds() throws {
        let seeds = try RedisEndpoint.clusterSeeds(url: "redis+cluster://127.0.0.1:7000,127.0.0.1:7001,node3")
        #expect(seeds.map(\.address) == [
            .tcp(host: "127.0.0.1", port: 7000), .tcp(host: "127.0.0.1", port: 7001), .tcp(host: "node3", port: 6379),
        ])
        #expect(seeds.allSatisfy { $0.tls == nil && $0.username == nil && $0.password == nil && $0.database == 0 })
        let single = try RedisEndpoint.clusterSeeds(url: "REDIS+CLUSTER://localhost:7000")
        #expect(single.map(\.address) == [.tcp(host: "localhost", port: 7000)])
    }

    @Test("rediss+cluster:// shares credentials and TLS options among all hosts, IPv6 hosts in brackets")
    func tlsSeedsShareCredentialsAndOptions() throws {
        let seeds = try RedisEndpoint.clusterSeeds(
            url: "rediss+cluster://worker:p%40ss@[::1]:7000,node2:7001?ca=/etc/ca.pem&verify=no-hostname")
        #expect(seeds.map(\.address) == [.tcp(host: "::1", port: 7000), .tcp(host: "node2", port: 7001)])
        for seed in seeds {
            #expect(seed.username == "worker")
            #expect(seed.password == "p@ss")
            #expect(seed.tls?.caFile == "/etc/ca.pem")
            #expect(seed.tls?.verification == .noHostname)
        }
    }

    @Test(
        "Unusable cluster URLs are refused with a reason, never showing the password",
        arguments: [
            ("redis://a:1,b:2", "unknown scheme"),
            ("a:1,b:2", "expected redis+cluster://"),
            ("redis+cluster://", "no hosts"),
            ("redis+cluster://a:1,,b:2", "host 2 of the list is empty"),
            ("redis+cluster://a:1,b:99999", "host 2 (b:99999): port"),
            ("redis+cluster://a:1,b:2/3", "only database 0"),
            ("redis+cluster://u:secret@a:1,b:x", "port \"x\""),
            ("rediss+cluster://a:1,b:2?verify=maybe", "verify must be"),
        ])
    func invalidURLs(url: String, reason: String) {
        do {
            let seeds = try RedisEndpoint.clusterSeeds(url: url)
            Issue.record("\(url) parsed as \(seeds)")
        } catch {
            #expect(error.description.contains(reason), "\(error)")
            #expect(!error.description.contains("secret"), "\(error)")
            if case .invalidEndpoint = error {} else { Issue.record("expected invalidEndpoint, got \(error)") }
        }
    }

    @Test("split groups positions by node in order of first appearance, keeping the caller's order within a node")
    func splitKeepsOrder() {
        let groups = RedisClusterBatch.split(["b", "a", "b", "c", "a"])
        #expect(groups == [
            .init(target: "b", positions: [0, 2]), .init(target: "a", positions: [1, 4]), .init(target: "c", positions: [3]),
        ])
        #expect(RedisClusterBatch.split([String]()).isEmpty)
    }

    @Test("reassemble puts 300 commands' replies for 3 nodes back in the caller's order")
    func reassemblyRestoresOrder() {
        var generator = SystemRandomNumberGenerator()
        let targets = (0..<300).map { _ in Int.random(in: 0..<3, using: &generator) }
        let groups = RedisClusterBatch.split(targets)
        #expect(groups.count == Set(targets).count)
        // Each node answers its commands with their positions, as a node answers its pipeline in order.
        let replies = groups.map { group in group.positions.map { "reply \($0) from node \(group.target)" } }
        let ordered = RedisClusterBatch.reassemble(count: targets.count, groups: groups, replies: replies)
        #expect(ordered == targets.enumerated().map { "reply \($0.offset) from node \($0.element)" })
    }
}
