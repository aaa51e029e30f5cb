import Detection
import Foundation
import IPWatcherTestSupport
import Testing

/// `ipwatcher top --once` against a real worker and its Redis: the units nearest each rule's threshold with their
/// counts, the blocked unit among the latest blocks, the queue's length, and where each rate comes from.
@Suite("ipwatcher top --once", .needsRedisServer, .timeLimit(.minutes(10)))
struct TopCommandTests {
    /// Runs `ipwatcher arguments…` and returns its output, requiring exit status 0.
    static func top(_ arguments: [String], in fixture: TopWorkerFixture) async throws -> String {
        let run = try await withScratchDirectory { scratch in try await runIPWatcher(arguments, in: scratch) }
        #expect(run.outcome.status == 0, "\(run.stderr)")
        return run.stdout
    }

    @Test("a snapshot shows each rule's nearest units with counts, the blocked unit among the latest blocks, and rates")
    func snapshotOfAWorker() async throws {
        try await withTopWorker { fixture in
            try await fixture.push("198.51.100.20", 7, total: 7)
            // A rolling log keeps threshold + 1 events: enough to tell the unit is over.
            try await fixture.push("198.51.100.21", 12, total: 11)
            try await fixture.push("198.51.100.22", 3, total: 3)
            try await waitUntil("198.51.100.21 is blocked") {
                try await fixture.redis.isMember("198.51.100.21", of: "blocklist")
            }
            let output = try await Self.top(fixture.topArguments + ["--once", "--interval", "0.5"], in: fixture)
            let lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            #expect(!output.contains("\u{1B}"), "no escape codes in a plain snapshot")
            #expect(lines.first?.hasPrefix("ipwatcher top  \(fixture.server.url)  ") == true, "\(output)")
            let metrics = "metrics 127.0.0.1:\(fixture.metricsPort), over the last"
            #expect(lines.contains { $0.hasPrefix("entries/s ") && $0.contains(metrics) && !$0.contains("—") }, "\(output)")
            #expect(lines.contains { $0.hasPrefix("blocks/min ") && $0.contains(metrics) && !$0.contains("—") }, "\(output)")
            #expect(lines.contains("queue                 0  redis LLEN ips"), "\(output)")
            #expect(lines.contains("blocklist             1  redis SCARD blocklist"), "\(output)")

            let hourly = try #require(lines.firstIndex { $0.hasPrefix("rule hourly") }, "\(output)")
            #expect(lines[hourly] == "rule hourly: 10 per 3600 s, rolling: 3 units counting, 1 blocked not shown")
            #expect(lines[hourly + 2] == "  198.51.100.20          7       10   70%", "\(output)")
            #expect(lines[hourly + 3] == "  198.51.100.22          3       10   30%", "\(output)")
            let daily = try #require(lines.firstIndex { $0.hasPrefix("rule daily") }, "\(output)")
            #expect(lines[daily] == "rule daily: 50 per 86400 s, fixed: 3 units counting, 1 blocked not shown")
            #expect(lines[daily + 2] == "  198.51.100.20          7       50   14%", "\(output)")

            let blocks = try #require(lines.firstIndex { $0.hasPrefix("latest blocks") }, "\(output)")
            #expect(lines[blocks + 2].hasSuffix("198.51.100.21  hourly"), "\(output)")
        }
    }

    @Test("counters in bucket hashes and a sliding rule: the units are found in the hashes, counted as the worker weighs them")
    func bucketsAndSliding() async throws {
        let configuration = """
            queue:
              block_timeout: 0.1
            detection:
              counters: buckets
              buckets: 64
              mode: sliding
              threshold: 50
              window: 86400
            """
        try await withTopWorker(configuration: configuration) { fixture in
            try await fixture.redis.push(hits("198.51.100.50", 7) + hits("2001:db8:5::1", 3))
            let window = nowMilliseconds() / 86_400_000
            /// The unit's count in today's bucket hash.
            func count(_ unit: String) async throws -> String? {
                let key = KeySchema().bucketKey(
                    windowSeconds: 86400, windowIndex: window, bucket: CounterLayout.bucket(ofName: unit, count: 64))
                return try await fixture.redis.send("HGET", key, unit).string
            }
            try await waitUntil("both units are counted") {
                let first = try await count("198.51.100.50")
                let second = try await count("2001:db8:5::/64")
                return first == "7" && second == "3"
            }
            let output = try await Self.top(fixture.topArguments + ["--once"], in: fixture)
            let lines = output.split(separator: "\n").map(String.init)
            let rule = try #require(lines.firstIndex { $0.hasPrefix("rule default") }, "\(output)")
            #expect(lines[rule] == "rule default: 50 per 86400 s, sliding: 2 units counting", "\(output)")
            #expect(lines[rule + 2] == "  198.51.100.50            7       50   14%", "\(output)")
            #expect(lines[rule + 3] == "  2001:db8:5::/64          3       50    6%", "\(output)")
        }
    }

    @Test("with the worker stopped: the queue's length, no entry rate, and blocks per minute from Redis")
    func snapshotWithoutMetrics() async throws {
        try await withTopWorker { fixture in
            try await fixture.push("198.51.100.23", 11, total: 11)
            try await waitUntil("198.51.100.23 is blocked") {
                try await fixture.redis.isMember("198.51.100.23", of: "blocklist")
            }
            try await fixture.daemon.stopExpectingSuccess()
            try await fixture.redis.push(hits("198.51.100.24", 37))
            let output = try await Self.top(fixture.topArguments + ["--once"], in: fixture)
            let lines = output.split(separator: "\n").map(String.init)
            #expect(lines.contains("queue                37  redis LLEN ips"), "\(output)")
            #expect(
                lines.contains { $0.hasPrefix("entries/s             —  metrics 127.0.0.1:\(fixture.metricsPort): ") },
                "\(output)")
            #expect(
                lines.contains("blocks/min          1.0  redis: bans in force begun in the last 60 s (no metrics)"),
                "\(output)")
        }
    }

    @Test("Redis unreachable: --once exits 2 with one line")
    func unreachableRedis() async throws {
        let port = try FreePort.pick()
        try await withScratchDirectory { scratch in
            let run = try await runIPWatcher(
                ["top", "--once", "--redis-url", "redis://127.0.0.1:\(port)", "--metrics", "off"], in: scratch)
            #expect(run.outcome.status == 2)
            #expect(run.stderr.count == 1, "\(run.stderr)")
            #expect(run.stderr.first == "ipwatcher: cannot connect to redis://127.0.0.1:\(port): connection refused", "\(run.stderr)")
            #expect(run.stdout.isEmpty)
        }
    }
}
