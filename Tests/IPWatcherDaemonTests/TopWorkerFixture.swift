import Foundation
import IPWatcherTestSupport
import LocalRedis
import RedisClient
import Testing

// The worker `ipwatcher top` is tested against. This file declares no suite.

/// A real `ipwatcher run` against a private redis-server, with two rules whose windows no test run straddles:
/// a rolling hour (no window edge at all) and a fixed day (a test waits out the last two minutes of one).
struct TopWorkerFixture {
    /// Rules `hourly` (10 per hour, rolling) and `daily` (50 per day, fixed); a quick pop.
    static let configuration = """
        queue:
          block_timeout: 0.1
        detection:
          rules:
            - {name: hourly, threshold: 10, window: 3600, mode: rolling}
            - {name: daily, threshold: 50, window: 86400}
        """

    /// The private server.
    let server: LocalRedisServer
    /// The worker.
    let daemon: DaemonProcess
    /// The configuration file.
    let config: String
    /// The worker's metrics port.
    let metricsPort: Int
    /// A connection to the server, for traffic and checks.
    let redis: RedisConnection

    /// `ipwatcher top` arguments that read this worker's Redis and metrics.
    var topArguments: [String] {
        ["top", "--config", config, "--redis-url", server.url, "--metrics", "127.0.0.1:\(metricsPort)"]
    }

    /// Pushes `count` hits of `address` and waits until the worker has counted them in the hourly rule's log
    /// (`total` events in all).
    func push(_ address: String, _ count: Int, total: Int) async throws {
        try await redis.push(hits(address, count))
        try await waitUntil("\(address) has \(total) events counted") {
            try await redis.rollingEvents(at: "ipwatcher:rolling:3600:\(address)").count == total
        }
    }
}

/// Starts a private redis-server and the worker with `configuration` (metrics on a free port),
/// waits until it serves metrics, and runs `body`; stops everything afterwards. Waits out the last two minutes of
/// a UTC day first, so the daily rule's counts do not vanish under the test.
func withTopWorker<Result: Sendable>(
    configuration: String = TopWorkerFixture.configuration,
    _ body: @escaping @Sendable (TopWorkerFixture) async throws -> Result
) async throws -> Result {
    let untilMidnight = 86_400_000 - nowMilliseconds() % 86_400_000
    if untilMidnight < 120_000 { try await Task.sleep(for: .milliseconds(untilMidnight + 100)) }
    return try await withRedisServer { server in
        try await withScratchDirectory { scratch in
            let config = try scratch.write(configuration, to: "ipwatcher.yaml")
            return try await withDaemon(["run", "--config", config, "--redis-url", server.url], in: scratch) { daemon in
                let port = try await DaemonMetricsTests.loggedPort(of: daemon)
                return try await withConnection(server.url) { redis in
                    try await body(
                        TopWorkerFixture(server: server, daemon: daemon, config: config, metricsPort: port, redis: redis))
                }
            }
        }
    }
}
