import Foundation
import IPWatcherTestSupport
import Testing

/// `ipwatcher bench --short`: the whole worker benchmark against its own private redis-server, as CI runs it.
///
/// Checks that it runs and reports — positive rates, every entry processed, latency samples, memory — and that
/// its JSON parses; the numbers themselves (a debug build, a shared machine) are not judged. The run is made
/// smaller still than `--short` (20,000 entries, a 1 s latency run), since other suites with timing checks
/// share the machine with it.
@Suite("ipwatcher bench", .needsRedisServer, .serialized, .timeLimit(.minutes(10)), .loadsMachine)
struct WorkerBenchCommandTests {
    /// The parts of the JSON report this test reads.
    struct Report: Decodable {
        struct Drain: Decodable {
            var mode: String
            var counters: String?
            var buckets: Int?
            var entries: Int
            var sentinelEntries: Int
            var rate: Double
            var seconds: Double
            var processed: Int
            var rejected: Int
            var stored: Int
            var expectedStored: Int
            var blocked: Int
            var trackedUnits: Int
            var usedMemoryPerUnit: Double
        }

        struct Latency: Decodable {
            var sent: Int
            var processed: Int
            var crossings: Int
            var measured: Int
            var missing: Int
            var p50Milliseconds: Double?
            var p99Milliseconds: Double?
            var maxMilliseconds: Double?
            var queueSamples: Int
        }

        struct Machine: Decodable {
            var build: String
            var privateServer: Bool
        }

        struct Workload: Decodable {
            var rules: [String]
            var scenario: String
        }

        var machine: Machine
        var workload: Workload
        struct Ceiling: Decodable {
            var name: String
            var command: String
            var rate: Double?
        }

        var fixed: Drain
        var buckets: Drain
        var rolling: Drain
        var latency: Latency
        var redisBenchmarkCommand: String
        var ceilings: [Ceiling]
        var workerPeakResidentBytes: Int?
    }

    @Test("--short --json reports positive rates, every entry processed, latencies and memory, and leaves nothing running")
    func shortRunReports() async throws {
        try await withScratchDirectory { scratch in
            let result = try await runIPWatcher(
                ["bench", "--short", "--json", "--entries", "20000", "--latency-seconds", "1", "--benchmark-requests", "20000"],
                in: scratch, within: .seconds(240))
            #expect(result.outcome.status == 0, "stderr:\n\(result.stderr.suffix(30).joined(separator: "\n"))")
            let report = try JSONDecoder().decode(Report.self, from: Data(result.stdout.utf8))
            #expect(report.machine.privateServer)

            #expect(report.fixed.mode == "fixed" && report.fixed.counters == "keys")
            #expect(report.buckets.mode == "fixed" && report.buckets.counters == "buckets")
            #expect(report.rolling.mode == "rolling" && report.rolling.counters == nil)
            for drain in [report.fixed, report.buckets, report.rolling] {
                #expect(drain.entries == 20_000)
                #expect(drain.sentinelEntries > 0)
                #expect(drain.rate > 0 && drain.seconds > 0)
                #expect(drain.processed == drain.entries + drain.sentinelEntries, "\(drain.mode): entries lost")
                #expect(drain.rejected == 0)
                #expect(drain.stored == drain.expectedStored)
                #expect(drain.blocked > 0)
                #expect(drain.trackedUnits > 0 && drain.usedMemoryPerUnit > 0)
            }
            for drain in [report.fixed, report.buckets] {
                #expect(
                    drain.stored == drain.entries + drain.sentinelEntries,
                    "the fixed counters add up to every entry (\(drain.counters ?? "?"))")
            }
            // The same traffic gives as many units in either layout, and the buckets are sized for them.
            #expect(report.buckets.trackedUnits == report.fixed.trackedUnits)
            let buckets = try #require(report.buckets.buckets)
            #expect(buckets == (report.buckets.trackedUnits + 63) / 64, "one hash per 64 units")
            #expect(report.ceilings.map(\.name) == ["set-px", "hincrby"])
            for ceiling in report.ceilings {
                #expect((ceiling.rate ?? 0) > 0, "\(ceiling.command)")
                #expect(ceiling.command.contains("-P 64 -r "), "\(ceiling.command)")
            }
            #expect(report.ceilings.last?.command.contains("-r \(buckets) HINCRBY") == true)

            let latency = report.latency
            #expect(latency.sent > 0 && latency.processed == latency.sent)
            #expect(latency.crossings > 0 && latency.measured > 0)
            #expect(latency.missing == 0, "every threshold crossing got its block event")
            let p50 = try #require(latency.p50Milliseconds)
            let p99 = try #require(latency.p99Milliseconds)
            let maximum = try #require(latency.maxMilliseconds)
            #expect(p50 > 0 && p50 <= p99 && p99 <= maximum)
            #expect(latency.queueSamples > 0)
            #expect(report.redisBenchmarkCommand.contains("-P 64"))
            #expect((report.workerPeakResidentBytes ?? 0) > 0)

            // The private server and the workers are gone.
            let started = result.stderr.first { $0.contains("started a private redis-server at unix://") }
            let line = try #require(started)
            let start = try #require(line.range(of: "unix://"))
            let end = try #require(line.range(of: "/redis.sock"))
            let directory = String(line[start.upperBound..<end.lowerBound])
            #expect(ProcessTable.pids(mentioning: directory).isEmpty, "the private redis-server still runs")
            #expect(!FileManager.default.fileExists(atPath: directory))
            let workerLine = try #require(result.stderr.first { $0.contains("configuration files and logs go to ") })
            let workers = try #require(workerLine.range(of: "/tmp/ipwatcher-bench-"))
            let workerDirectory = String(workerLine[workers.lowerBound...].prefix { $0 != " " })
            #expect(ProcessTable.pids(mentioning: workerDirectory).isEmpty, "a worker subprocess still runs")
            #expect(!FileManager.default.fileExists(atPath: workerDirectory))
        }
    }

    @Test("--config and --traffic interleaved: the file's rules, every entry in each checked counter, the sentinel blocked by a minute-long rule")
    func configRules() async throws {
        try await withScratchDirectory { scratch in
            let config = try scratch.write(
                """
                detection:
                  rules:
                    - {name: burst,  threshold: 10,  window: 2}
                    - {name: minute, threshold: 15,  window: 60}
                    - {name: hourly, threshold: 300, window: 3600, mode: rolling, dry_run: true}
                """, to: "rules.yaml")
            let result = try await runIPWatcher(
                [
                    "bench", "--short", "--json", "--entries", "20000", "--latency-seconds", "1",
                    "--benchmark-requests", "20000", "--config", config, "--traffic", "interleaved",
                ], in: scratch, within: .seconds(240))
            #expect(result.outcome.status == 0, "stderr:\n\(result.stderr.suffix(30).joined(separator: "\n"))")
            let report = try JSONDecoder().decode(Report.self, from: Data(result.stdout.utf8))
            #expect(report.workload.rules == ["burst:10/2", "minute:15/60", "hourly:300/3600:rolling:dry_run"])
            #expect(report.workload.scenario == "interleaved")
            // 2,000 addresses of ten requests each, every one counted in the minute's counter.
            #expect(report.fixed.trackedUnits >= 2000, "\(report.fixed.trackedUnits) units")
            for drain in [report.fixed, report.buckets, report.rolling] {
                #expect(drain.sentinelEntries == 15, "the lowest threshold of a rule that blocks over 60 s or more")
                #expect(drain.processed == drain.entries + drain.sentinelEntries, "\(drain.mode): entries lost")
                #expect(drain.stored == drain.expectedStored && drain.stored > 0, "\(drain.mode)")
            }
            // The minute's and the hour's counters are checked (the 2 s one may expire during the drain): each holds
            // every entry.
            #expect(report.fixed.stored == 2 * (report.fixed.entries + report.fixed.sentinelEntries))
            #expect(report.buckets.stored == report.fixed.stored, "the same counts in hashes")
            let broken = try await runIPWatcher(
                ["bench", "--short", "--config", try scratch.write("detection:\n  rules: [\"a:0/1\"]\n", to: "bad.yaml")],
                in: scratch)
            #expect(broken.outcome.status == 78, "\(broken.stderr)")
            #expect(broken.stderr.contains { $0.contains("detection.rules") }, "\(broken.stderr)")
        }
    }

    @Test("`bench` runs the worker benchmark by default and `bench client` is still there")
    func subcommands() async throws {
        try await withScratchDirectory { scratch in
            let help = try await runIPWatcher(["bench", "--help"], in: scratch)
            #expect(help.outcome.status == 0)
            #expect(help.stdout.contains("worker (default)") && help.stdout.contains("client"))
            let worker = try await runIPWatcher(["bench", "worker", "--help"], in: scratch)
            #expect(worker.outcome.status == 0)
            #expect(worker.stdout.contains("--latency-rate") && worker.stdout.contains("--short"))
            let client = try await runIPWatcher(["bench", "client", "--help"], in: scratch)
            #expect(client.outcome.status == 0)
            #expect(client.stdout.contains("--round-trips"))
        }
    }
}
