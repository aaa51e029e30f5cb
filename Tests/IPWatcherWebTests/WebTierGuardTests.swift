import Detection
import IPWatcherTestSupport
import IPWatcherWeb
import LocalRedis
import Logging
import RESP
import RedisClient
import ServiceLifecycle
import Testing

/// The guard middleware calls per request, against a real redis-server: who is counted, who is refused, what
/// is excluded, and that a graceful shutdown sends what the recorder still holds.
@Suite("WebTierGuard against a real redis-server", .needsRedisServer, .timeLimit(.minutes(10)))
struct WebTierGuardTests {
    static func configuration(_ server: LocalRedisServer) throws -> WebTierConfiguration {
        var configuration = WebTierConfiguration(endpoint: try RedisEndpoint(url: server.url))
        configuration.trustedProxies = [try #require(IPNetwork("10.0.0.0/8"))]
        configuration.excludedPaths = ["/healthz", "/internal/*"]
        configuration.mirror.connection = RedisConnectionConfiguration(
            connectTimeout: .milliseconds(500), commandTimeout: .seconds(1))
        return configuration
    }

    /// Runs `body` with a running guard of `server` whose mirror has loaded, and a connection to read back.
    static func withGuard(
        _ configuration: WebTierConfiguration, url: String,
        _ body: @escaping @Sendable (WebTierGuard, RedisConnection) async throws -> Void
    ) async throws {
        let guardian = WebTierGuard(configuration: configuration)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await guardian.run() }
            defer { group.cancelAll() }
            try await waitUntil("the mirror has loaded") { !guardian.mirror.isStale }
            try await withConnection(url) { try await body(guardian, $0) }
        }
    }

    static func address(_ text: String) throws -> IPAddress { try #require(IPAddress(text)) }

    /// The addresses in the queue, oldest first, without their times.
    static func queued(_ redis: RedisConnection, key: String = "ips") async throws -> [String] {
        let entries = try await redis.send("LRANGE", key, 0, -1).array.map { Array($0) } ?? []
        return entries.compactMap(\.string).reversed().map { String($0.split(separator: " ")[0]) }
    }

    @Test("a served request is recorded under the forwarded client of a trusted proxy, and under the peer otherwise")
    func servedRequestsAreRecordedUnderTheClient() async throws {
        try await withRedisServer { server in
            try await Self.withGuard(try Self.configuration(server), url: server.url) { guardian, redis in
                let proxied = guardian.decide(
                    peer: try Self.address("10.1.2.3"), path: "/", forwardedFor: ["198.51.100.9, 10.9.9.9"])
                let spoofed = guardian.decide(
                    peer: try Self.address("192.0.2.1"), path: "/", forwardedFor: ["198.51.100.9"])
                let proxiedClient = try Self.address("198.51.100.9")
                let spoofingPeer = try Self.address("192.0.2.1")
                #expect(proxied.client == proxiedClient && !proxied.isRefused)
                #expect(spoofed.client == spoofingPeer && !spoofed.isRefused)
                try await waitUntil("both requests are in the queue") { try await Self.queued(redis).count == 2 }
                #expect(try await Self.queued(redis) == ["198.51.100.9", "192.0.2.1"])
                let statistics = guardian.statistics
                #expect(statistics.served == 2 && statistics.refused == 0 && statistics.excluded == 0)
            }
        }
    }

    @Test("a blocked client is refused with the ban's Retry-After and, by default, not recorded")
    func blockedClientIsRefusedAndNotRecorded() async throws {
        try await withRedisServer { server in
            let expiresAt = WallClock().nowMilliseconds() + 90_500
            try await withConnection(server.url) { redis in
                _ = try await redis.send("SADD", "blocklist", "198.51.100.66").throwingServerError()
                _ = try await redis.send("ZADD", "ipwatcher:bans", expiresAt, "198.51.100.66").throwingServerError()
            }
            try await Self.withGuard(try Self.configuration(server), url: server.url) { guardian, redis in
                let decision = guardian.decide(peer: try Self.address("198.51.100.66"), path: "/login")
                #expect(decision.isRefused && decision.ban?.expiresAt == expiresAt)
                let retryAfter = try #require(guardian.retryAfterSeconds(for: decision))
                #expect((80...91).contains(retryAfter), "Retry-After \(retryAfter)")
                _ = guardian.decide(peer: try Self.address("198.51.100.67"), path: "/login")
                try await waitUntil("the served request is in the queue") { try await Self.queued(redis).count == 1 }
                #expect(try await Self.queued(redis) == ["198.51.100.67"])
                let statistics = guardian.statistics
                #expect(statistics.served == 1 && statistics.refused == 1 && statistics.excluded == 0)
            }
        }
    }

    @Test("with recordsRefusedRequests a refused request is counted too")
    func refusedRequestsCanBeRecorded() async throws {
        try await withRedisServer { server in
            try await withConnection(server.url) { redis in
                _ = try await redis.send("SADD", "blocklist", "198.51.100.66").throwingServerError()
            }
            var configuration = try Self.configuration(server)
            configuration.recordsRefusedRequests = true
            try await Self.withGuard(configuration, url: server.url) { guardian, redis in
                let decision = guardian.decide(peer: try Self.address("198.51.100.66"), path: "/")
                #expect(decision.isRefused && guardian.retryAfterSeconds(for: decision) == nil)
                try await waitUntil("the refused request is in the queue") { try await Self.queued(redis) == ["198.51.100.66"] }
            }
        }
    }

    @Test("an excluded path is neither checked nor recorded, even for a blocked client")
    func excludedPathsAreNeitherCheckedNorRecorded() async throws {
        try await withRedisServer { server in
            try await withConnection(server.url) { redis in
                _ = try await redis.send("SADD", "blocklist", "198.51.100.66").throwingServerError()
            }
            try await Self.withGuard(try Self.configuration(server), url: server.url) { guardian, redis in
                for path in ["/healthz", "/internal/", "/internal/metrics"] {
                    let decision = guardian.decide(peer: try Self.address("198.51.100.66"), path: path)
                    #expect(decision.isExcluded && !decision.isRefused, "\(path)")
                }
                let checked = guardian.decide(peer: try Self.address("198.51.100.66"), path: "/healthz/deep")
                #expect(!checked.isExcluded && checked.isRefused)
                #expect(await guardian.recorder.flush())
                #expect(try await redis.send("LLEN", "ips").int == 0)
                let statistics = guardian.statistics
                #expect(statistics.served == 0 && statistics.refused == 1 && statistics.excluded == 3)
            }
        }
    }

    @Test("a graceful shutdown sends what the recorder holds before the connection closes")
    func gracefulShutdownFlushesTheRecorder() async throws {
        try await withRedisServer { server in
            var configuration = try Self.configuration(server)
            // No timed flush happens during the test: only the shutdown's flush can push these.
            configuration.recorder.flushInterval = .seconds(600)
            let guardian = WebTierGuard(configuration: configuration)
            let group = ServiceGroup(
                configuration: .init(services: [.init(service: guardian)], logger: Logger(label: "test")))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                try await waitUntil("the mirror has loaded") { !guardian.mirror.isStale }
                for index in 1...300 { _ = guardian.decide(peer: .v4(0xC633_6400 + UInt32(index)), path: "/") }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
            let queued = try await withConnection(server.url) { redis in try await redis.send("LLEN", "ips").int }
            #expect(queued == 300)
            #expect(guardian.recorder.statistics.pushed == 300)
        }
    }
}

/// The guard's pure parts: path exclusion and `Retry-After`.
@Suite("WebTierGuard decisions without Redis")
struct RequestDecisionTests {
    @Test(
        "an excluded path matches exactly, or by prefix when the entry ends in *",
        arguments: [
            ("/healthz", true), ("/healthz/", false), ("/health", false), ("/internal/x", true), ("/internal/", true),
            ("/internal", false), ("/", false),
        ])
    func excludedPathsMatchExactlyOrByPrefix(path: String, excluded: Bool) throws {
        var configuration = WebTierConfiguration(endpoint: try RedisEndpoint(url: "redis://127.0.0.1:1"))
        configuration.excludedPaths = ["/healthz", "/internal/*"]
        #expect(configuration.isExcluded(path: path) == excluded)
    }

    @Test(
        "Retry-After is the whole seconds left of the ban, rounded up and at least 1",
        arguments: [(Int64(10_000), 10), (10_001, 11), (1, 1), (0, 1), (-5_000, 1)])
    func retryAfterRoundsUp(remaining: Int64, seconds: Int) {
        let now: Int64 = 1_800_000_000_000
        let ban = BlocklistMirror.BlockedUnit(unit: DetectionUnit(address: .v4(1), ipv4Prefix: 32, ipv6Prefix: 64), expiresAt: now + remaining)
        let decision = RequestDecision(client: .v4(1), ban: ban, isExcluded: false, mirrorWasStale: false)
        #expect(decision.retryAfterSeconds(nowMilliseconds: now) == seconds)
        let forever = RequestDecision(
            client: .v4(1), ban: .init(unit: ban.unit, expiresAt: nil), isExcluded: false, mirrorWasStale: false)
        #expect(forever.retryAfterSeconds(nowMilliseconds: now) == nil)
    }
}
