import NIOCore
import RESP
import Testing

@testable import RedisClient

/// `redis+sentinel://` URLs, the `+switch-master` message, and the pushes a sentinel subscription delivers: the
/// parts of Sentinel support that need no server.
@Suite struct RedisSentinelEndpointTests {
    @Test func sentinelURLNamesEverySentinelAndTheMaster() throws {
        let endpoint = try RedisEndpoint(url: "redis+sentinel://10.0.0.1:26380,sentinel-b,[::1]:26381/mymaster")
        guard case .sentinel(let master) = endpoint.address else {
            Issue.record("expected a sentinel address, got \(endpoint.address)")
            return
        }
        #expect(master.name == "mymaster")
        #expect(
            master.sentinels == [
                .init(host: "10.0.0.1", port: 26380), .init(host: "sentinel-b", port: 26379),
                .init(host: "::1", port: 26381),
            ])
        #expect(master.username == nil && master.password == nil)
        #expect(endpoint.database == 0 && endpoint.tls == nil && endpoint.password == nil)
    }

    @Test func theUserInfoLogsInToTheMasterAndTheOptionsToTheSentinels() throws {
        let endpoint = try RedisEndpoint(
            url: "redis+sentinel://worker:data%40pass@127.0.0.1:26379/cache%20one?db=2&sentinel_user=watch&sentinel_password=s%26p")
        guard case .sentinel(let master) = endpoint.address else {
            Issue.record("expected a sentinel address")
            return
        }
        #expect(endpoint.username == "worker")
        #expect(endpoint.password == "data@pass")
        #expect(endpoint.database == 2)
        #expect(master.name == "cache one")
        #expect(master.username == "watch")
        #expect(master.password == "s&p")
    }

    @Test func theDescriptionHidesBothPasswordsAndParsesBack() throws {
        let url = "redis+sentinel://worker:secret1@127.0.0.1:26379,127.0.0.1:26380/mymaster?db=1&sentinel_password=secret2"
        let endpoint = try RedisEndpoint(url: url)
        let shown = endpoint.description
        #expect(!shown.contains("secret1") && !shown.contains("secret2"))
        #expect(shown == "redis+sentinel://worker:***@127.0.0.1:26379,127.0.0.1:26380/mymaster?db=1&sentinel_password=***")
        let reparsed = try RedisEndpoint(url: shown)
        #expect(reparsed.address == .sentinel(.init(
            name: "mymaster", sentinels: [.init(host: "127.0.0.1", port: 26379), .init(host: "127.0.0.1", port: 26380)],
            password: "***")))
        #expect(!RedisEndpoint.redactedURL(url).contains("secret"))
    }

    @Test func redissSentinelSpeaksTLSWithTheURLsOptions() throws {
        let endpoint = try RedisEndpoint(url: "rediss+sentinel://127.0.0.1/mymaster?ca=/etc/ca.pem&verify=no-hostname")
        #expect(endpoint.tls?.caFile == "/etc/ca.pem")
        #expect(endpoint.tls?.verification == .noHostname)
        #expect(endpoint.description.hasPrefix("rediss+sentinel://127.0.0.1:26379/mymaster"))
        let sentinel = RedisSentinelMaster(name: "m", sentinels: [.init(host: "h", port: 1)], password: "p")
            .endpoint(of: .init(host: "h", port: 1), tls: endpoint.tls)
        #expect(sentinel.tls == endpoint.tls)
        #expect(sentinel.password == "p" && sentinel.address == .tcp(host: "h", port: 1))
    }

    @Test(arguments: [
        ("redis+sentinel://127.0.0.1:26379", "master name is missing"),
        ("redis+sentinel://127.0.0.1:26379/", "master name"),
        ("redis+sentinel:///mymaster", "no sentinel hosts"),
        ("redis+sentinel://a:26379,,b:26379/mymaster", "sentinel 2 of the list is empty"),
        ("redis+sentinel://a:26379,b:99999/mymaster", "sentinel 2 (b:99999): port \"99999\""),
        ("redis+sentinel://a/mymaster?db=x", "db \"x\" is not a database number"),
        ("redis+sentinel://a/m/1", "master name"),
    ])
    func malformedSentinelURLsAreRefusedSayingWhy(url: String, reason: String) {
        do {
            let endpoint = try RedisEndpoint(url: url)
            Issue.record("expected \(url) to be refused, got \(endpoint)")
        } catch {
            guard case .invalidEndpoint(_, let said) = error else {
                Issue.record("expected invalidEndpoint, got \(error)")
                return
            }
            #expect(said.contains(reason), "\(said)")
        }
    }

    @Test func aSwitchMessageGivesTheOldAndNewAddresses() {
        let message = SentinelSwitchMessage(payload: "mymaster 127.0.0.1 6379 127.0.0.1 6380")
        #expect(message?.masterName == "mymaster")
        #expect(message?.oldAddress == .tcp(host: "127.0.0.1", port: 6379))
        #expect(message?.newAddress == .tcp(host: "127.0.0.1", port: 6380))
        #expect(SentinelSwitchMessage(payload: "mymaster 127.0.0.1 6379 127.0.0.1") == nil)
        #expect(SentinelSwitchMessage(payload: "mymaster 127.0.0.1 6379 127.0.0.1 http") == nil)
        #expect(SentinelSwitchMessage(payload: "mymaster 127.0.0.1 0 127.0.0.1 6380") == nil)
    }

    @Test func onlyAMessageOnTheSwitchChannelIsASwitch() throws {
        func push(_ parts: String...) throws -> RESPToken {
            var text = ">\(parts.count)\r\n"
            for part in parts { text += "$\(part.utf8.count)\r\n\(part)\r\n" }
            return try RESPToken(validating: ByteBuffer(string: text))
        }
        let switched = try push("message", "+switch-master", "m 10.0.0.1 6379 10.0.0.2 6379")
        #expect(RedisSentinelWatcher.switchMessage(in: switched)?.newAddress == .tcp(host: "10.0.0.2", port: 6379))
        #expect(RedisSentinelWatcher.switchMessage(in: try push("subscribe", "+switch-master")) == nil)
        #expect(RedisSentinelWatcher.switchMessage(in: try push("message", "other", "m 10.0.0.1 6379 10.0.0.2 6379")) == nil)
    }

    @Test func onlyASentinelEndpointHasAWatcher() throws {
        let plain = try RedisEndpoint(url: "redis://127.0.0.1:6379")
        #expect(RedisSentinelWatcher(endpoint: plain, configuration: .init(), logger: .init(label: "t")) == nil)
        let behind = try RedisEndpoint(url: "redis+sentinel://127.0.0.1/m")
        #expect(RedisSentinelWatcher(endpoint: behind, configuration: .init(), logger: .init(label: "t"))?.master.name == "m")
    }
}
