import ArgumentParser
import Benchmark
import Detection
import Foundation
import IPWatcherDaemon
import LocalRedis
import Logging
import RedisClient
import Traffic
import UnixSignals

#if canImport(Glibc)
import Glibc
#endif

/// `ipwatcher bench` (or `bench worker`): the worker's drain rate in fixed and rolling mode, its detection
/// latency at a steady load, its peak memory and Redis's memory per tracked unit, beside `redis-benchmark` on
/// the same server — one command, against a private redis-server or `--url`.
struct WorkerBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "The worker's throughput, detection latency and memory, beside redis-benchmark.",
        discussion: """
            Without --url, starts a private redis-server (temporary directory, unix socket, no persistence) and \
            flushes it between measurements. With --url, uses only keys under ipwatcher:bench: and deletes them \
            afterwards; it never flushes that server. The worker runs as a subprocess, `ipwatcher run` of this \
            binary. Fails (exit 1) when any entry is lost. Targets are printed beside the numbers, not asserted. \
            See BENCHMARKS.md.
            """
    )

    /// Ctrl-C or SIGTERM during the benchmark.
    struct Interrupted: Error {}

    @Option(help: "Redis URL to benchmark against; without it a private redis-server is started and stopped.")
    var url: String?

    @Option(help: "Entries pre-filled for each drain (default 2000000; 50000 with --short).")
    var entries: Int?

    @Option(
        name: .customLong("latency-rate"),
        help: "Requests per second in the latency run (default 100000; 20000 with --short).")
    var latencyRate: Double?

    @Option(
        name: .customLong("latency-seconds"), help: "Length of the latency run's feed (default 10; 2 with --short).")
    var latencySeconds: Double?

    @Option(
        name: .customLong("pacing-ms"),
        help: "The latency run sends what is due every this many milliseconds, as one pipeline.")
    var pacingMilliseconds: Double = 1

    @Option(
        name: .customLong("benchmark-requests"),
        help: "Requests of redis-benchmark's INCR run (default 2000000; 200000 with --short).")
    var benchmarkRequests: Int?

    @Option(help: "Seed of the synthetic traffic.")
    var seed: UInt64 = 1

    @Option(
        help: ArgumentHelp(
            "The drains' traffic: mixed (the default), interleaved or distinct.",
            discussion: "interleaved: about ten requests per address, each address once per round, so a batch rarely holds one twice; distinct: one or two requests per address. The latency run always feeds mixed."))
    var traffic: String = "mixed"

    @Option(help: "The worker's queue.batch (default: the worker's own default).")
    var batch: Int?

    @Option(
        help: ArgumentHelp(
            "Hashes per window of the drain with detection.counters: buckets (default: the traffic's units / 64).",
            discussion: "Each run drains the same traffic in fixed mode twice, with counters: keys and with counters: buckets."))
    var buckets: Int?

    @Option(help: "The worker's queue.delivery: at-least-once (the default) or at-most-once.")
    var delivery: String = WorkerSettings().delivery.rawValue

    @Option(
        name: .customLong("config"),
        help: ArgumentHelp(
            "Drain with the detection rules of this configuration file (detection.rules, or its one rule).",
            discussion: "Each drain sets every rule's mode to its own (fixed, then rolling); nothing else of the file is used."))
    var configFile: String?

    @Flag(help: "A quick run for CI: checks that everything runs and reports, not the numbers.")
    var short = false

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    /// The parameters with `--short` and the defaults resolved.
    var plan: WorkerBenchPlan {
        var plan = WorkerBenchPlan(
            entries: entries ?? (short ? 50_000 : 2_000_000), latencyRate: latencyRate ?? (short ? 20_000 : 100_000),
            latencySeconds: latencySeconds ?? (short ? 2 : 10), pacingMilliseconds: pacingMilliseconds, seed: seed,
            batch: batch, delivery: WorkerSettings.Delivery(rawValue: delivery) ?? .atLeastOnce,
            redisBenchmarkRequests: benchmarkRequests ?? (short ? 200_000 : 2_000_000), short: short,
            traffic: Self.traffics.first { $0.description == traffic } ?? .mixed)
        plan.buckets = buckets
        return plan
    }

    /// The scenarios `--traffic` takes.
    static let traffics: [TrafficScenario] = [.mixed, .interleaved, .distinct]

    /// Rejects sizes and rates that cannot work.
    func validate() throws {
        let plan = self.plan
        guard plan.entries > 0, plan.redisBenchmarkRequests > 0 else {
            throw ValidationError("--entries and --benchmark-requests must be positive")
        }
        guard plan.latencyRate > 0, plan.latencyRate.isFinite, plan.latencySeconds > 0, plan.latencySeconds.isFinite,
            (0.1...1000).contains(plan.pacingMilliseconds)
        else { throw ValidationError("--latency-rate and --latency-seconds must be positive, --pacing-ms 0.1 to 1000") }
        if let batch, !(1...100_000).contains(batch) { throw ValidationError("--batch must be 1 to 100000") }
        if let buckets, !(1...CounterLayout.maximumBucketCount).contains(buckets) {
            throw ValidationError("--buckets must be 1 to \(CounterLayout.maximumBucketCount)")
        }
        guard Self.traffics.contains(where: { $0.description == traffic }) else {
            throw ValidationError("--traffic must be mixed, interleaved or distinct")
        }
        guard WorkerSettings.Delivery(rawValue: delivery) != nil else {
            throw ValidationError("--delivery must be at-least-once or at-most-once")
        }
    }

    /// Starts the private server (unless `--url`), runs the benchmark, prints the report, and stops what it
    /// started — also on failure or Ctrl-C.
    func run() async throws {
        var logger = Logger(label: "ipwatcher.bench")
        logger.logLevel = .error
        let directory = try Self.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        Self.note("workers' configuration files and logs go to \(directory) (removed at the end)")

        if url == nil, LocalRedisServer.executablePath(named: "redis-server") == nil {
            Self.note(
                "ipwatcher bench needs redis-server (Debian/Ubuntu: sudo apt-get install redis-server, "
                    + "or scripts/setup), or --url")
            throw ExitCode.failure
        }
        var plan = self.plan
        if let configFile {
            plan.rules = try await Self.rules(from: configFile)
            Self.note("rules of \(configFile): " + plan.rules.map(\.text).joined(separator: ", "))
        }
        let report: WorkerBenchReport
        do {
            report = try await LocalRedisServer.withPrivateServer(unless: url) { workerURL, server in
                if let server { Self.note("started a private redis-server at \(server.url) (temporary, no persistence)") }
                let endpoint = try RedisEndpoint(url: workerURL)
                var redisPid = server?.pid
                if redisPid == nil { redisPid = try await WorkerBenchmark.localRedisPid(endpoint: endpoint, logger: logger) }
                let benchmark = WorkerBenchmark(
                    endpoint: endpoint, url: workerURL, ownsServer: server != nil, redisPid: redisPid, plan: plan,
                    directory: directory, logger: logger, note: { Self.note($0) })
                return try await untilInterrupted(throwing: { Interrupted() }) { try await benchmark.run() }
            }
        } catch is Interrupted {
            Self.note("interrupted; stopped everything the benchmark started")
            throw ExitCode(130)
        }
        print(json ? report.json : report.table)
    }

    /// The rules a configuration file sets: `detection.rules`, or its one rule named `default`; a broken file
    /// ends the command with status 78 and the loader's one-line message.
    static func rules(from file: String) async throws -> [IPWatcherConfiguration.Rule] {
        let detection: IPWatcherConfiguration.Detection
        do {
            detection = try await IPWatcherConfiguration.load(
                file: file, fileIsExplicit: true, environment: [:], overrides: [:]
            ).detection
        } catch {
            note("ipwatcher: configuration: \(error)")
            throw ExitCode(78)
        }
        let rules =
            detection.rules.isEmpty
            ? [IPWatcherConfiguration.Rule(
                name: "default", threshold: detection.threshold, window: detection.window, mode: detection.mode,
                dryRun: detection.dryRun)]
            : detection.rules
        guard rules.contains(where: { !$0.dryRun }) else {
            note("ipwatcher: bench needs a rule that is not in dry run: the drain ends when a sentinel unit is blocked")
            throw ExitCode(64)
        }
        return rules
    }

    /// A private directory under /tmp (short, so the notify sockets' paths fit `sun_path`).
    private static func makeDirectory() throws -> String {
        var template = Array("/tmp/ipwatcher-bench-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else { throw WorkerBenchError.system("mkdtemp", errno: errno) }
        return String(cString: created)
    }

    /// A progress line on stderr.
    private static func note(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
