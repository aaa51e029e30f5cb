import Detection
import IPWatcherDaemon
import IPWatcherTestSupport
import IPWatcherWeb
import LocalRedis
import RESP
import RedisClient
import Testing

/// The web tier's copy of the blocklist against a real redis-server: the first load, events, reconciliation and
/// a Redis restart.
@Suite("BlocklistMirror against a real redis-server", .needsRedisServer, .timeLimit(.minutes(10)))
struct BlocklistMirrorTests {
    /// Runs `body` with a running mirror of `server` (reconciling every `reconcile`; through `proxy` if given) and a
    /// connection of the test's own to the server.
    static func withMirror(
        _ server: LocalRedisServer, through proxy: FaultProxy? = nil, reconcile: Duration = .seconds(30),
        ranges: BlocklistMirror.Ranges? = nil,
        _ body: @escaping @Sendable (BlocklistMirror, RedisConnection) async throws -> Void
    ) async throws {
        var settings = BlocklistMirror.Settings()
        settings.reconcileInterval = reconcile
        settings.ranges = ranges
        settings.connection = RedisConnectionConfiguration(connectTimeout: .milliseconds(500), commandTimeout: .seconds(1))
        settings.connection.backoff = RedisBackoff(initial: .milliseconds(50), maximum: .milliseconds(200))
        let mirror = BlocklistMirror(endpoint: try RedisEndpoint(url: proxy?.redisURL ?? server.url), settings: settings)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await mirror.run() }
            defer { group.cancelAll() }
            try await withConnection(server.url) { try await body(mirror, $0) }
        }
    }

    static func address(_ text: String) throws -> IPAddress { try #require(IPAddress(text)) }

    @Test("the first load copies the set with each ban's expiry, and lookups canonicalise as the worker does")
    func firstLoadCopiesTheSet() async throws {
        try await withRedisServer { server in
            try await withConnection(server.url) { redis in
                _ = try await redis.send("SADD", "blocklist", "203.0.113.7", "2001:db8:1:2::/64", "not a unit")
                _ = try await redis.send("ZADD", "ipwatcher:bans", 1_900_000_000_000, "203.0.113.7")
            }
            try await Self.withMirror(server) { mirror, _ in
                try await waitUntil("the mirror has loaded") { !mirror.isStale }
                let blocked = try #require(mirror.blockedUnit(for: try Self.address("203.0.113.7")))
                #expect(blocked.expiresAt == 1_900_000_000_000)
                #expect(mirror.isBlocked(try Self.address("::ffff:203.0.113.7")))
                // An IPv6 client is blocked by its /64, with no expiry known for a unit added by hand.
                #expect(mirror.blockedUnit(for: try Self.address("2001:db8:1:2::99"))?.expiresAt == .some(nil))
                #expect(!mirror.isBlocked(try Self.address("2001:db8:1:3::1")))
                #expect(!mirror.isBlocked(try Self.address("203.0.113.8")))
                let status = mirror.status
                #expect(status.units == 2 && status.unparsableMembers == 1 && status.loads == 1)
            }
        }
    }

    @Test("blocks and unblocks announced on the events channel reach the mirror; a dry run's block does not")
    func eventsKeepTheMirrorCurrent() async throws {
        try await withRedisServer { server in
            try await Self.withMirror(server) { mirror, redis in
                try await waitUntil("the mirror has loaded") { !mirror.isStale }
                let store = BlocklistStore(
                    client: redis, blocklistKey: "blocklist", bansKey: "ipwatcher:bans", eventsChannel: "ipwatcher:events")
                try await store.add("198.51.100.4", banSeconds: 60, now: 1_000)
                try await waitUntil("the manual block is mirrored") {
                    mirror.blockedUnit(for: try Self.address("198.51.100.4"))?.expiresAt == 61_000
                }
                #expect(try await store.remove("198.51.100.4"))
                try await waitUntil("the unblock is mirrored") { !mirror.isBlocked(try Self.address("198.51.100.4")) }

                let dryRun = #"{"event":"block","unit":"198.51.100.5","count":20,"window":60,"mode":"fixed","expires_at":null,"at":1,"dry_run":true}"#
                let worker = #"{"event":"block","unit":"198.51.100.6","count":20,"window":60,"mode":"fixed","expires_at":null,"at":1,"dry_run":false}"#
                _ = try await redis.send("PUBLISH", "ipwatcher:events", dryRun)
                _ = try await redis.send("PUBLISH", "ipwatcher:events", worker)
                try await waitUntil("the worker's block is mirrored") { mirror.isBlocked(try Self.address("198.51.100.6")) }
                #expect(!mirror.isBlocked(try Self.address("198.51.100.5")))
                #expect(mirror.status.eventsApplied == 3)
            }
        }
    }

    @Test("with range bans on, a banned range refuses fresh addresses inside it: loaded from the set, followed by events")
    func rangesAreHonoured() async throws {
        try await withRedisServer { server in
            try await withConnection(server.url) { redis in
                _ = try await redis.send("SADD", "blocklist:ranges", "203.0.113.0/24")
                _ = try await redis.send("ZADD", "ipwatcher:bans:ranges", 1_900_000_000_000, "203.0.113.0/24")
            }
            try await Self.withMirror(server, ranges: BlocklistMirror.Ranges()) { mirror, redis in
                try await waitUntil("the mirror has loaded") { !mirror.isStale }
                let inside = try #require(mirror.blockedUnit(for: try Self.address("203.0.113.200")))
                #expect(inside.isRange && inside.unit.name == "203.0.113.0/24" && inside.expiresAt == 1_900_000_000_000)
                #expect(!mirror.isBlocked(try Self.address("203.0.114.1")))
                #expect(mirror.status.ranges == 1 && mirror.status.units == 0)
                // The worker's range event, then the one `blocklist remove` sends for a range.
                let block = #"{"event":"block","unit":"2001:db8:7::/48","range":true,"rule":"minute","at":1,"dry_run":false,"units":3,"offence":null,"expires_at":null}"#
                _ = try await redis.send("PUBLISH", "ipwatcher:events", block)
                try await waitUntil("the range ban is mirrored") { mirror.isBlocked(try Self.address("2001:db8:7:ffff::1")) }
                #expect(!mirror.isBlocked(try Self.address("2001:db8:8::1")))
                let ranges = BlocklistStore(
                    client: redis, blocklistKey: "blocklist:ranges", bansKey: "ipwatcher:bans:ranges",
                    eventsChannel: "ipwatcher:events", announcesRanges: true)
                #expect(try await ranges.remove("203.0.113.0/24"))
                try await waitUntil("the range's unblock is mirrored") { !mirror.isBlocked(try Self.address("203.0.113.200")) }
                #expect(mirror.status.ranges == 1, "the IPv6 range is left")
            }
        }
    }

    @Test("a change made without an event is picked up by the next reconciliation")
    func reconciliationHealsAMissedEvent() async throws {
        try await withRedisServer { server in
            try await Self.withMirror(server, reconcile: .milliseconds(300)) { mirror, redis in
                try await waitUntil("the mirror has loaded") { !mirror.isStale }
                _ = try await redis.send("SADD", "blocklist", "192.0.2.77")
                try await waitUntil("the reconciliation finds the unit", within: .seconds(5)) {
                    mirror.isBlocked(try Self.address("192.0.2.77"))
                }
                #expect(mirror.status.repairedUnits >= 1)
                #expect(mirror.status.loads >= 2)
            }
        }
    }

    @Test("Redis away: the mirror says it is stale and keeps refusing known units; back: it loads again")
    func redisRestart() async throws {
        try await withRedisServer(.persistent) { server in
            try await Self.withMirror(server, reconcile: .milliseconds(300)) { mirror, redis in
                _ = try await redis.send("SADD", "blocklist", "192.0.2.1")
                try await waitUntil("the mirror has the unit") { mirror.isBlocked(try Self.address("192.0.2.1")) }
                await server.kill()
                try await waitUntil("the mirror says it is stale", within: .seconds(5)) { mirror.isStale }
                #expect(mirror.isBlocked(try Self.address("192.0.2.1")))

                try await server.restart()
                try await withConnection(server.url) { fresh in _ = try await fresh.send("SADD", "blocklist", "192.0.2.2") }
                try await waitUntil("the mirror is fresh again with the new unit", within: .seconds(20)) {
                    try !mirror.isStale && mirror.isBlocked(Self.address("192.0.2.2"))
                }
                #expect(mirror.isBlocked(try Self.address("192.0.2.1")))
            }
        }
    }

    @Test("a 10 s partition: the mirror keeps answering from its copy, says it is stale, and resyncs after the heal")
    func partitionThenResync() async throws {
        try await withRedisServer(deadline: .seconds(60)) { server in
            try await withFaultProxy(upstreamPort: try #require(server.port)) { proxy in
                try await Self.withMirror(server, through: proxy, reconcile: .milliseconds(300)) { mirror, redis in
                    _ = try await redis.send("SADD", "blocklist", "192.0.2.1")
                    try await waitUntil("the mirror has the unit") { mirror.isBlocked(try Self.address("192.0.2.1")) }

                    let clock = ContinuousClock()
                    proxy.partition()
                    let partitionedAt = clock.now
                    // Added with no event: only a load after the partition can find it.
                    _ = try await redis.send("SADD", "blocklist", "192.0.2.2")
                    try await waitUntil("the mirror says it is stale", within: .seconds(10)) { mirror.isStale }
                    let staleAfter = clock.now - partitionedAt
                    #expect(mirror.isBlocked(try Self.address("192.0.2.1")), "the mirror forgot a unit it had")
                    #expect(!mirror.isBlocked(try Self.address("192.0.2.2")), "a unit came through the partition")
                    try await Task.sleep(until: partitionedAt.advanced(by: .seconds(10)))
                    #expect(mirror.isBlocked(try Self.address("192.0.2.1")))
                    proxy.heal()
                    let healedAt = clock.now

                    try await waitUntil("the mirror is fresh again with the unit it missed", within: .seconds(20)) {
                        try !mirror.isStale && mirror.isBlocked(Self.address("192.0.2.2"))
                    }
                    print("blocklist mirror, partition 10 s: stale after \(staleAfter), resynced \(clock.now - healedAt) "
                        + "after the heal")
                }
            }
        }
    }

    /// How the proxy mistreats the mirror's connection in ``badNetworkKeepsTheCopyCurrent(fault:)``.
    enum Fault: String, Sendable, CaseIterable { case latency, reset, cut }

    @Test("latency 50 ± 10 ms, or its connections reset or cut mid-reply: the mirror keeps answering and ends current",
        arguments: Fault.allCases)
    func badNetworkKeepsTheCopyCurrent(fault: Fault) async throws {
        try await withRedisServer(deadline: .seconds(60)) { server in
            try await withFaultProxy(upstreamPort: try #require(server.port)) { proxy in
                try await Self.withMirror(server, through: proxy, reconcile: .milliseconds(300)) { mirror, redis in
                    _ = try await redis.send("SADD", "blocklist", "192.0.2.1")
                    try await waitUntil("the mirror has the unit") { mirror.isBlocked(try Self.address("192.0.2.1")) }
                    // Enough members that a reload's SSCAN replies outgrow the bytes a broken connection lets through.
                    _ = try await redis.send("SADD", "blocklist", (0..<500).map { "198.18.\($0 / 250).\($0 % 250)" })
                    let accepted = proxy.counters.connectionsAccepted
                    switch fault {
                    case .latency: proxy.latency(mean: .milliseconds(50), jitter: .milliseconds(10))
                    case .reset: proxy.resetMidReply(afterBytes: 200)
                    case .cut: proxy.cutReply(afterBytes: 200)
                    }
                    // Added with no event: only a reload through the fault can find it.
                    _ = try await redis.send("SADD", "blocklist", "192.0.2.2")
                    let clock = ContinuousClock()
                    let faultAt = clock.now
                    while clock.now < faultAt.advanced(by: .seconds(3)) {
                        #expect(mirror.isBlocked(try Self.address("192.0.2.1")), "the mirror forgot a unit it had")
                        try await Task.sleep(for: .milliseconds(50))
                    }
                    if fault != .latency {
                        #expect(proxy.counters.connectionsAccepted > accepted + 1, "the fault broke no connection")
                    }
                    proxy.clear()
                    let clearedAt = clock.now
                    try await waitUntil("the mirror is fresh with the unit added without an event", within: .seconds(20)) {
                        try !mirror.isStale && mirror.isBlocked(Self.address("192.0.2.2"))
                    }
                    #expect(mirror.status.units == 502)
                    print("blocklist mirror, \(fault.rawValue): \(proxy.counters.connectionsAccepted - accepted) connections "
                        + "during it; current \(clock.now - clearedAt) after it ended")
                }
            }
        }
    }
}
