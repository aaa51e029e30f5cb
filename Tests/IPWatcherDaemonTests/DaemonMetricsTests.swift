import Foundation
import IPWatcherTestSupport
import LocalRedis
import NIOCore
import NIOPosix
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The real `ipwatcher run` binary serves metrics: it logs where, a scrape shows what it did, and a taken or
/// invalid `metrics.listen` ends it with one line naming the key.
@Suite("ipwatcher run: metrics endpoint", .needsRedisServer, .timeLimit(.minutes(10)))
struct DaemonMetricsTests {
    @Test("the daemon logs its metrics address and a scrape shows its work")
    func daemonServesMetrics() async throws {
        try await withRedisServer { server in
            try await withScratchDirectory { scratch in
                try await DaemonMetricsTests.withMetricsDaemon(server, in: scratch) { daemon, port in
                    try await DaemonMetricsTests.blockAndReject("192.0.2.50", at: server)
                    let response = try await HTTPTestClient.send("/metrics", port: port)
                    #expect(response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
                    let samples = PrometheusSamples(response.body)
                    #expect(samples["ipwatcher_entries_processed_total"] == 21, "\(samples)")
                    #expect(samples[#"ipwatcher_entries_rejected_total{reason="not_an_address"}"#] == 1)
                    #expect(samples["ipwatcher_blocks_total"] == 1)
                    #expect(samples["ipwatcher_detection_threshold"] == 15)

                    try await daemon.stopExpectingSuccess()
                    #expect(daemon.standardError.contains("metrics server closed"))
                }
            }
        }
    }

    @Test("ipwatcher_build_info names the version and commit ipwatcher --version prints")
    func buildInfoMatchesVersion() async throws {
        try await withRedisServer { server in
            try await withScratchDirectory { scratch in
                // `0.1.0 (commit 4bd0f10)` or `0.1.0 (unknown commit)`.
                let printed = try await runIPWatcher(["--version"], in: scratch).stdout
                let words = printed.split(whereSeparator: { $0 == " " || $0 == "(" || $0 == ")" || $0.isNewline })
                let version = try #require(words.first.map(String.init), "\(printed)")
                let commit = words.count == 3 && words[1] == "commit" ? String(words[2]) : "unknown"
                try await DaemonMetricsTests.withMetricsDaemon(server, in: scratch) { _, port in
                    let samples = PrometheusSamples(try await HTTPTestClient.send("/metrics", port: port).body)
                    let series = samples.values.keys.filter { $0.hasPrefix("ipwatcher_build_info") }
                    #expect(series == [#"ipwatcher_build_info{version="\#(version)",commit="\#(commit)"}"#], "\(printed)")
                    #expect(series.first.flatMap { samples[$0] } == 1)
                    #expect(version.hasPrefix("0."), "\(printed)")
                    #expect(commit == "unknown" || (commit.count == 7 && commit.allSatisfy(\.isHexDigit)), "\(printed)")
                }
            }
        }
    }

    @Test("a taken port ends the daemon at once with status 1 and one line naming metrics.listen")
    func portInUse() async throws {
        let holder = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(holder.localAddress?.port)
        defer { holder.close(promise: nil) }
        // Redis is not needed: the port is checked before anything else starts.
        try await Self.withDaemonExiting(listen: "127.0.0.1:\(port)", status: 1) { daemon in
            let line = "ipwatcher: metrics.listen: cannot listen on 127.0.0.1:\(port): Address already in use"
            #expect(daemon.standardErrorLines.filter { $0.contains("metrics.listen") } == [line], "\(daemon.standardError)")
            #expect(!daemon.standardError.contains("Fatal error"))
        }
    }

    @Test("an invalid metrics.listen exits 78 with one line naming the key")
    func invalidValueExits78() async throws {
        try await Self.withDaemonExiting(listen: "9464", status: 78) { daemon in
            let stderr = daemon.standardErrorLines
            #expect(stderr.count == 1, "\(stderr)")
            #expect(stderr.first?.hasPrefix("ipwatcher: configuration: metrics.listen: \"9464\" is not") == true, "\(stderr)")
        }
    }

    /// Runs `ipwatcher run` with `IPWATCHER_METRICS_LISTEN=listen` against a Redis that is not there, expects it to
    /// exit with `status` within 10 s, then runs `body` on the ended process.
    ///
    /// In the environment: DaemonProcess's own IPWATCHER_METRICS_LISTEN would beat a value in the file.
    static func withDaemonExiting(
        listen: String, status: Int32, sourceLocation: SourceLocation = #_sourceLocation,
        _ body: (DaemonProcess) async throws -> Void
    ) async throws {
        try await withScratchDirectory { scratch in
            let config = try scratch.write(quickPopConfiguration, to: "ipwatcher.yaml")
            try await withDaemon(
                ["run", "--config", config, "--redis-url", "redis://127.0.0.1:1"], in: scratch,
                extraEnvironment: ["IPWATCHER_METRICS_LISTEN": listen]
            ) { daemon in
                let outcome = try #require(
                    try await daemon.waitForExit(within: .seconds(10)), "still running", sourceLocation: sourceLocation)
                #expect(outcome.status == status, "\(outcome)", sourceLocation: sourceLocation)
                try await body(daemon)
            }
        }
    }


    /// Runs `ipwatcher run` against `server` with metrics on a free loopback port and `body` with the process and
    /// the port, once `/healthz` answers 200 there.
    static func withMetricsDaemon<Result>(
        _ server: LocalRedisServer, in scratch: ScratchDirectory,
        _ body: (DaemonProcess, Int) async throws -> Result
    ) async throws -> Result {
        let config = try scratch.write(quickPopConfiguration, to: "ipwatcher.yaml")
        return try await withDaemon(
            ["run", "--config", config, "--redis-url", server.url], in: scratch,
            extraEnvironment: ["IPWATCHER_METRICS_LISTEN": "127.0.0.1:0"]
        ) { daemon in
            let port = try await loggedPort(of: daemon)
            try await waitUntil("/healthz answers 200") {
                try await HTTPTestClient.send("/healthz", port: port).status == 200
            }
            return try await body(daemon, port)
        }
    }
    /// Pushes 20 hits from `address` (over the default threshold) and one entry that is not an address, and waits
    /// until `address` is blocked. Blocked means written, and the rejected entry was counted in the same batch.
    static func blockAndReject(_ address: String, at server: LocalRedisServer) async throws {
        try await withConnection(server.url) { redis in
            try await redis.push(hits(address, 20) + ["nonsense"])
            try await waitUntil("\(address) is blocked") { try await redis.isMember(address, of: "blocklist") }
        }
    }

    /// The port from the daemon's `metrics on http://127.0.0.1:PORT/metrics` log line.
    static func loggedPort(of daemon: DaemonProcess) async throws -> Int {
        var port: Int?
        try await waitUntil("the daemon logs its metrics address") {
            guard let range = daemon.standardError.range(of: "metrics on http://127.0.0.1:") else { return false }
            port = Int(daemon.standardError[range.upperBound...].prefix { $0.isNumber })
            return port != nil
        }
        return port ?? 0
    }
}
