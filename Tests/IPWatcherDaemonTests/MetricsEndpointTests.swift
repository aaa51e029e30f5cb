import Detection
import Foundation
import IPWatcherDaemon
import IPWatcherTestSupport
import Logging
import RedisClient
import Testing

/// `/metrics` and `/healthz` of an in-process worker against a private redis-server, scraped over HTTP.
@Suite("Metrics: the endpoint of a running worker", .needsRedisServer, .timeLimit(.minutes(10)), .measuresTime)
struct MetricsEndpointTests {
    /// Test settings with metrics on any free loopback port.
    static var settings: WorkerSettings {
        var settings = WorkerSettings.forTests
        settings.metricsListen = .anyLoopbackPort
        return settings
    }

    @Test("after known entries the counters, reasons, histograms and gauges say exactly what happened")
    func scrapeAfterKnownEntries() async throws {
        try await withWorker(Self.settings) { run in
            let port = try await run.metricsPort()
            let entries =
                hits("203.0.113.7", 20) + hits("198.51.100.9", 3) + ["not-an-address", "also bad", "203.0.113.8 12x", ""]
                + hits("127.0.0.1", 2)
            try await run.redis.push(entries)
            try await run.waitForTotals("all 29 entries are handled and one unit blocked") {
                $0.handled >= 29 && $0.blocked >= 1
            }
            #expect(try await run.redis.isMember("203.0.113.7", of: "blocklist"))

            let response = try await HTTPTestClient.send("/metrics", port: port)
            #expect(response.status == 200)
            #expect(response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
            let samples = PrometheusSamples(response.body)
            #expect(samples["ipwatcher_entries_processed_total"] == 29, "\(samples)")
            #expect(samples["ipwatcher_entries_counted_total"] == 23)
            #expect(samples[#"ipwatcher_entries_rejected_total{reason="not_an_address"}"#] == 2)
            #expect(samples[#"ipwatcher_entries_rejected_total{reason="bad_timestamp"}"#] == 1)
            #expect(samples[#"ipwatcher_entries_rejected_total{reason="empty"}"#] == 1)
            #expect(samples[#"ipwatcher_entries_rejected_total{reason="too_long"}"#] == 0)
            #expect(samples["ipwatcher_entries_allowlisted_total"] == 2)
            #expect(samples["ipwatcher_entries_stale_total"] == 0)
            #expect(samples["ipwatcher_blocks_total"] == 1)
            #expect(samples["ipwatcher_unblocks_total"] == 0)
            // One LPUSH is popped as one batch; every entry of it is in the size histogram.
            let batches = try #require(samples["ipwatcher_batch_size_count"])
            #expect(batches >= 1)
            #expect(samples["ipwatcher_batch_size_sum"] == 29)
            #expect(samples["ipwatcher_batch_duration_seconds_count"] == batches)
            #expect(samples[#"ipwatcher_redis_connected{connection="pop"}"#] == 1)
            #expect(samples[#"ipwatcher_redis_connected{connection="write"}"#] == 1)
            #expect(samples[#"ipwatcher_redis_reconnects_total{connection="write"}"#] == 0)
            #expect(samples[#"ipwatcher_detection_mode{mode="fixed"}"#] == 1)
            #expect(samples[#"ipwatcher_detection_mode{mode="rolling"}"#] == 0)
            #expect(samples["ipwatcher_detection_threshold"] == 15)
            #expect(samples["ipwatcher_detection_window_seconds"] == 60)
            // The queue is drained; its gauge is read about once a second.
            try await waitUntil("ipwatcher_queue_length{key=\"ips\"} is 0") {
                try await Self.scrape(port)[#"ipwatcher_queue_length{key="ips"}"#] == 0
            }
        }
    }

    @Test("mode and threshold gauges follow a reload")
    func detectionGaugesFollowReload() async throws {
        try await withWorker(Self.settings) { run in
            let port = try await run.metricsPort()
            #expect(try await Self.scrape(port)["ipwatcher_detection_threshold"] == 15)
            var reloaded = run.worker.live.current
            reloaded.singleRule.mode = .rolling
            reloaded.singleRule.threshold = 40
            // What ReloadService does on SIGHUP once the new configuration loaded.
            run.worker.live.replace(with: reloaded)
            let samples = try await Self.scrape(port)
            #expect(samples["ipwatcher_detection_threshold"] == 40)
            #expect(samples[#"ipwatcher_detection_mode{mode="rolling"}"#] == 1)
            #expect(samples[#"ipwatcher_detection_mode{mode="fixed"}"#] == 0)
        }
    }

    @Test("/healthz is 200 while Redis is up, 503 with the reason once it is gone, 200 again after it returns")
    func healthFollowsRedis() async throws {
        try await withWorker(Self.settings) { run in
            let port = try await run.healthyMetricsPort()
            #expect(try await HTTPTestClient.send("/healthz", port: port).body == "ok\n")

            await run.server.kill()
            var unhealthy: HTTPTestClient.Response?
            try await waitUntil("/healthz answers 503") {
                let response = try await HTTPTestClient.send("/healthz", port: port)
                if response.status == 503 { unhealthy = response }
                return response.status == 503
            }
            let body = try #require(unhealthy?.body)
            #expect(body.hasPrefix("Redis ") && body.contains("connection not ready"), "\(body)")
            #expect(body.hasSuffix("\n") && body.dropLast().split(separator: "\n").count == 1, "\(body)")
            let whileDown = try await Self.scrape(port)
            #expect(whileDown[#"ipwatcher_redis_connected{connection="write"}"#] == 0, "\(whileDown)")

            try await run.server.restart()
            try await waitUntil("/healthz answers 200 again", within: .seconds(20)) {
                try await HTTPTestClient.send("/healthz", port: port).status == 200
            }
            let afterwards = try await Self.scrape(port)
            #expect(afterwards[#"ipwatcher_redis_reconnects_total{connection="write"}"#] ?? 0 >= 1, "\(afterwards)")
            #expect(afterwards[#"ipwatcher_redis_reconnects_total{connection="pop"}"#] ?? 0 >= 1)
            #expect(afterwards[#"ipwatcher_redis_connected{connection="pop"}"#] == 1)
        }
    }

    @Test("unknown paths are 404, other methods 405, HEAD has headers only, keep-alive serves several requests")
    func routing() async throws {
        try await withWorker(Self.settings) { run in
            let port = try await run.healthyMetricsPort()
            let missing = try await HTTPTestClient.send("/", port: port)
            #expect(missing.status == 404)
            #expect(try await HTTPTestClient.send("/metrics/extra", port: port).status == 404)
            #expect(try await HTTPTestClient.send("/metrics", method: "POST", port: port).status == 405)
            let delete = try await HTTPTestClient.send("/healthz", method: "DELETE", port: port)
            #expect(delete.status == 405)
            #expect(delete.headers["allow"] == "GET, HEAD")

            let head = try await HTTPTestClient.send("/metrics", method: "HEAD", port: port)
            #expect(head.status == 200)
            #expect(head.body.isEmpty)
            #expect(Int(head.headers["content-length"] ?? "") ?? 0 > 100, "\(head)")
            #expect(try await HTTPTestClient.send("/metrics?name[]=x", port: port).status == 200)

            let responses = try await HTTPTestClient.exchange(
                port: port, requests: [("GET", "/metrics"), ("HEAD", "/healthz"), ("GET", "/nothing"), ("GET", "/metrics")])
            #expect(responses.map(\.status) == [200, 200, 404, 200])
            #expect(responses[1].body.isEmpty && responses[1].headers["content-length"] == "3")
            #expect(responses[0].headers["connection"] == "keep-alive")
            #expect(responses[3].headers["connection"] == "close")
            #expect(PrometheusSamples(responses[3].body)["ipwatcher_detection_threshold"] == 15)
        }
    }

    @Test("a worker built in code serves no metrics unless asked to")
    func noMetricsByDefault() async throws {
        try await withWorker(.forTests) { run in
            #expect(run.worker.metrics == nil)
            try await run.redis.push(["192.0.2.1"])
            try await run.waitUntilHandled(1)
            #expect(run.worker.metricsPort.value == nil)
        }
    }

    @Test("the queue length gauge reads LLEN of each queue key about once a second")
    func queueLength() async throws {
        try await withRedisServer { server in
            let metrics = WorkerMetrics(queueKeys: ["q1", "q2"])
            try await RedisServerClient.withClient(endpoint: RedisEndpoint(url: server.url)) { client in
                try await withConnection(server.url) { redis in
                    try await redis.push(hits("192.0.2.1", 7), to: "q1")
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            try await QueueLengthService(
                                client: RedisRouter(.server(client)), keys: ["q1", "q2"], metrics: metrics, interval: .milliseconds(50),
                                logger: workerTestLogger
                            ).run()
                        }
                        try await waitUntil("the gauge shows 7 entries in q1") {
                            PrometheusSamples(metrics.exposition())[#"ipwatcher_queue_length{key="q1"}"#] == 7
                        }
                        try await redis.push(hits("192.0.2.1", 3), to: "q2")
                        _ = try await redis.send("LPOP", "q1", 5)
                        try await waitUntil("the gauge shows 2 in q1 and 3 in q2") {
                            let samples = PrometheusSamples(metrics.exposition())
                            return samples[#"ipwatcher_queue_length{key="q1"}"#] == 2
                                && samples[#"ipwatcher_queue_length{key="q2"}"#] == 3
                        }
                        group.cancelAll()
                    }
                }
            }
        }
    }

    /// Scrapes `/metrics` on `port`.
    static func scrape(_ port: Int) async throws -> PrometheusSamples {
        let response = try await HTTPTestClient.send("/metrics", port: port)
        guard response.status == 200 else { throw WaitTimedOut(description: "/metrics answered \(response)") }
        return PrometheusSamples(response.body)
    }
}

extension WorkerRun {
    /// The port the worker's metrics server listens on, once it does.
    func metricsPort() async throws -> Int {
        let holder = worker.metricsPort
        try await waitUntil("the metrics server listens") { holder.value != nil }
        return holder.value ?? 0
    }

    /// ``metricsPort()`` once `/healthz` answers 200 there: the worker is connected and its loop running.
    func healthyMetricsPort() async throws -> Int {
        let port = try await metricsPort()
        try await waitUntil("/healthz answers 200") { try await HTTPTestClient.send("/healthz", port: port).status == 200 }
        return port
    }
}
