import Foundation
import IPWatcherTestSupport
import LocalRedis
import RedisClient
import SystemdNotify
import Testing

/// The real `ipwatcher run` binary behind a 10 s partition (a ``FaultProxy`` between it and Redis): it tells
/// systemd and `/healthz` the truth — no watchdog pings and 503 while nothing moves — and afterwards recovers
/// by itself and has counted every entry once.
@Suite("ipwatcher run: a partition", .needsRedisServer, .timeLimit(.minutes(10)))
struct DaemonBadNetworkTests {
    static let configuration = """
        queue:
          block_timeout: 0.1
          batch: 10
        detection:
          window: 3600
        log:
          level: info
        """

    @Test("a 10 s partition: WATCHDOG=1 stops and /healthz says 503, then both recover and every entry counts once")
    func partitionIsReportedAndHealed() async throws {
        try await withRedisServer(deadline: .seconds(120)) { server in
            try await withFaultProxy(upstreamPort: try #require(server.port)) { proxy in
                try await withScratchDirectory { scratch in
                    try await withNotifyingDaemon(
                        configuration: Self.configuration, redisURL: proxy.redisURL, in: scratch,
                        extraEnvironment: ["IPWATCHER_METRICS_LISTEN": "127.0.0.1:0", "WATCHDOG_USEC": "1000000"]
                    ) { daemon, notify in
                        try await notify.waitFor("READY=1", within: .seconds(10))
                        let port = try await DaemonMetricsTests.loggedPort(of: daemon)
                        try await withConnection(server.url) { redis in
                            try await Self.run(proxy: proxy, redis: redis, daemon: daemon, notify: notify, port: port)
                        }
                        try await daemon.stopExpectingSuccess()
                    }
                }
            }
        }
    }

    private static func run(
        proxy: FaultProxy, redis: RedisConnection, daemon: DaemonProcess, notify: NotifySocketListener, port: Int
    ) async throws {
        let entries = FaultTraffic.entries()
        try await redis.push(Array(entries[..<75]))
        try await waitUntil("the first half is counted", within: .seconds(30)) {
            try await redis.counterTotal() == 75
        }
        try await waitUntilHealth(200, port: port, within: .seconds(10))

        let clock = ContinuousClock()
        proxy.partition()
        let partitionedAt = clock.now
        try await redis.push(Array(entries[75...]))
        try await waitUntilHealth(503, port: port, within: .seconds(10))
        let unhealthyAfter = clock.now - partitionedAt
        // A ping already sent when the health turned is no lie; after a second's grace, pings may come only as
        // attempts end: a pop or reconnect that times out is an iteration of a live loop (WatchdogProgress), and
        // each takes the 5 s command or connect timeout. A healthy worker pings every 0.5 s here, 8 times in 4 s;
        // the partition's last 4 s see at most the two attempts that end in them, however late under load.
        try await Task.sleep(until: clock.now.advanced(by: .seconds(1)))
        _ = try notify.receive()
        let rest = partitionedAt.advanced(by: .seconds(10)) - clock.now
        let during = try await notify.collect(for: rest)
        let pings = during.filter { NotifySocketListener.message($0, has: "WATCHDOG=1") }.count
        #expect(pings <= 2, "\(pings) WATCHDOG=1 in \(rest) while nothing moved: \(during)")
        #expect(during.contains { $0.split(separator: "\n").contains { $0.hasPrefix("STATUS=waiting for Redis") } },
            "STATUS= did not say the worker waits for Redis: \(during)")
        #expect(daemon.isRunning, "the worker must wait for Redis, not exit")
        #expect(try await redis.counterTotal() == 75, "entries were counted through the partition")
        proxy.heal()
        let healedAt = clock.now

        try await notify.waitFor("WATCHDOG=1", within: .seconds(30))
        let pingingAfter = clock.now - healedAt
        try await waitUntil("every entry is counted", within: .seconds(60)) {
            try await redis.counterTotal() == FaultTraffic.count
        }
        try await waitUntilHealth(200, port: port, within: .seconds(30))
        let healthyAfter = clock.now - healedAt
        try await waitUntil("the batches are released", within: .seconds(30)) {
            try await redis.allKeys(matching: "ipwatcher:processing*").isEmpty
        }
        #expect(try await redis.countsPerUnit() == FaultTraffic.expected)
        let members = try await redis.send("SMEMBERS", "blocklist").array.map { Array($0).compactMap(\.string) } ?? []
        #expect(Set(members) == Set(FaultTraffic.bots))
        let statuses = during.filter { $0.contains("STATUS=") }
        #expect(statuses.contains { $0.contains("waiting for Redis") }, "STATUS= never said Redis is missing: \(during)")
        print("ipwatcher run, partition 10 s: /healthz 503 after \(unhealthyAfter); after healing WATCHDOG=1 in "
            + "\(pingingAfter), /healthz 200 in \(healthyAfter); STATUS during it: \(statuses)")
    }
}
