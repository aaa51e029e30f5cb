import Detection
import Foundation
import IPWatcherDaemon
import Logging
import RESP
import RedisClient
import Traffic

#if canImport(Glibc)
import Glibc
#endif

/// The measurements of `ipwatcher bench`, in order: a fixed-mode drain, a rolling-mode drain, the
/// detection-latency run, and `redis-benchmark` on the same server.
///
/// The worker always runs as a subprocess, `ipwatcher run` of this same binary with a generated
/// configuration file: the program that is deployed, in a process of its own whose CPU time and peak memory
/// `/proc` tells apart from Redis's and the benchmark's. It reports readiness and its running totals through
/// a notify socket of the benchmark's, as it would to systemd; that is how the benchmark knows that the worker
/// processed every entry (its `STATUS=processed N`), which Redis then confirms (the fixed counters add up to N;
/// the rolling logs hold what the ground truth says they must).
public struct WorkerBenchmark: Sendable {
    /// Where Redis is.
    let endpoint: RedisEndpoint
    /// The same server as a URL for the worker's configuration file (with its password, if any).
    let url: String
    /// Whether the server is the benchmark's private one, which it may flush.
    let ownsServer: Bool
    /// redis-server's process id when it is known to run on this host.
    let redisPid: Int32?
    /// What to run.
    let plan: WorkerBenchPlan
    /// Private directory for the workers' configuration files, logs and notify sockets.
    let directory: String
    /// Connection messages (warnings and up).
    let logger: Logger
    /// Progress lines for people, on stderr.
    let note: @Sendable (String) -> Void

    /// Runs everything and returns the report; throws when a measurement fails, including when entries were lost.
    /// A benchmark of `plan` against `endpoint` (the workers connect to `url`); `ownsServer` allows flushing
    /// it between measurements, `redisPid` lets it read the server's memory, `directory` holds the workers'
    /// files, and `note` receives progress lines.
    public init(
        endpoint: RedisEndpoint, url: String, ownsServer: Bool, redisPid: Int32?, plan: WorkerBenchPlan,
        directory: String, logger: Logger, note: @escaping @Sendable (String) -> Void
    ) {
        self.endpoint = endpoint
        self.url = url
        self.ownsServer = ownsServer
        self.redisPid = redisPid
        self.plan = plan
        self.directory = directory
        self.logger = logger
        self.note = note
    }

    /// Runs the measurements in order and returns the report; fails when any entry is lost.
    public func run() async throws -> WorkerBenchReport {
        let connection = try await RedisConnection.connect(
            to: endpoint,
            configuration: RedisConnectionConfiguration(commandTimeout: .seconds(120), clientName: "ipwatcher-bench"),
            logger: logger)
        let control = BenchRedisControl(connection: connection, ownsServer: ownsServer)
        do {
            let report = try await measure(control)
            await connection.close()
            return report
        } catch {
            // A server given by URL gets its namespace back empty even after a failure (best effort).
            if !ownsServer, !Task.isCancelled { try? await control.reset() }
            await connection.closeNow()
            throw error
        }
    }

    /// The measurements in order, then the report.
    private func measure(_ control: BenchRedisControl) async throws -> WorkerBenchReport {
        let server = try await control.info("server")
        let machine = WorkerBenchReport.Machine(
            build: Self.buildConfiguration, cpus: ProcessInfo.processInfo.activeProcessorCount,
            cpuModel: ProcFS.cpuModel(), memoryBytes: ProcFS.memoryTotalBytes(), redisVersion: server["redis_version"],
            redis: ownsServer ? "private redis-server (unix socket, no persistence)" : "\(endpoint)",
            privateServer: ownsServer)
        let rule = plan.rule(.fixed)
        let workload = WorkerBenchReport.Workload(
            scenario: plan.traffic.description, seed: plan.seed, threshold: rule.threshold, windowSeconds: rule.windowSeconds,
            batch: plan.batch ?? WorkerSettings().batchSize, delivery: plan.delivery.rawValue,
            rules: plan.rules.map(\.text))
        if machine.build == "debug" {
            note("warning: this is a debug build; its numbers say nothing about the product (swift build -c release)")
        }

        let fixed = try await drain(.fixed, control: control)
        let buckets = try await drain(.fixed, bucketed: true, control: control)
        let rolling = try await drain(.rolling, control: control)
        let latency = try await latencyRun(control: control)

        try await control.reset()
        let benchmark = RedisBenchmarkRunner(endpoint: endpoint)
        let command = ownsServer ? ["-t", "incr"] : ["INCR", plan.incrementKey]
        note("redis-benchmark -P \(plan.redisBenchmarkPipeline) \(command.joined(separator: " ")) on the same server…")
        let incr =
            ownsServer
            ? try benchmark.run(
                test: "incr", requests: plan.redisBenchmarkRequests, clients: plan.redisBenchmarkClients,
                pipeline: plan.redisBenchmarkPipeline)
            : try benchmark.run(
                command: command, requests: plan.redisBenchmarkRequests, clients: plan.redisBenchmarkClients,
                pipeline: plan.redisBenchmarkPipeline)
        if incr == nil { note("redis-benchmark is not installed (redis-tools); its column stays empty") }
        let ceilings = try await ceilings(
            bucketCount: buckets.buckets ?? CounterLayout.defaultBucketCount, using: benchmark, control: control)

        let peaks = [fixed.workerMemory, buckets.workerMemory, rolling.workerMemory, latency.workerMemory].map {
            $0?.peakResidentBytes
        }
        return WorkerBenchReport(
            machine: machine, workload: workload, fixed: fixed, buckets: buckets, rolling: rolling, latency: latency,
            redisBenchmarkINCR: incr,
            redisBenchmarkCommand:
                "redis-benchmark -n \(plan.redisBenchmarkRequests) -c \(plan.redisBenchmarkClients) "
                + "-P \(plan.redisBenchmarkPipeline) \(command.joined(separator: " "))",
            ceilings: ceilings, workerPeakResidentBytes: peaks.compactMap { $0 }.max())
    }

    /// The ceilings of ``WorkerBenchReport/ceilings``, on keys under the benchmark's namespace, each run on an
    /// emptied namespace (and leaving it so): a new key with an expiry per request, and a field in one of
    /// `bucketCount` hashes, 64 requests per hash as the bucketed drain's sizing gives. redis-benchmark draws a
    /// field's number below the hash count too, so with many hashes few fields repeat.
    private func ceilings(
        bucketCount: Int, using benchmark: RedisBenchmarkRunner, control: BenchRedisControl
    ) async throws -> [WorkerBenchReport.Ceiling] {
        let namespace = WorkerBenchPlan.namespace
        let requests = plan.redisBenchmarkRequests
        let runs: [(name: String, keyspace: Int, requests: Int, command: [String])] = [
            ("set-px", 100_000_000, requests, ["SET", namespace + "ceiling:__rand_int__", "1", "PX", "120000"]),
            (
                "hincrby", bucketCount, min(requests, max(50_000, bucketCount * 64)),
                ["HINCRBY", namespace + "ceiling:{__rand_int__}", "__rand_int__", "1"]
            ),
        ]
        var ceilings: [WorkerBenchReport.Ceiling] = []
        for run in runs {
            try await control.reset()
            let line =
                "redis-benchmark -n \(run.requests) -c \(plan.redisBenchmarkClients) -P \(plan.redisBenchmarkPipeline) "
                + "-r \(run.keyspace) \(run.command.joined(separator: " "))"
            note("\(line)…")
            let rate = try benchmark.run(
                command: run.command, requests: run.requests, clients: plan.redisBenchmarkClients,
                pipeline: plan.redisBenchmarkPipeline, keyspace: run.keyspace)
            ceilings.append(WorkerBenchReport.Ceiling(name: run.name, command: line, rate: rate))
        }
        try await control.reset()
        return ceilings
    }

    /// `release` or `debug`, as this binary was compiled.
    static var buildConfiguration: String {
        #if DEBUG
        return "debug"
        #else
        return "release"
        #endif
    }

    /// Starts a worker for `run`, hands it to `body`, and always stops it.
    func withWorker<Result>(
        run: String, name: String, mode: DetectionRule.Mode, counters: CounterLayout = .keys,
        _ body: (WorkerProcess) async throws -> Result
    ) async throws -> Result {
        let worker = try WorkerProcess(
            run: run, name: name, configuration: plan.workerConfiguration(url: url, mode: mode, counters: counters),
            directory: directory)
        do {
            let result = try await body(worker)
            let ended = await worker.stop()
            if ended != "exit status 0" { note("\(run): the worker ended with \(ended) on SIGTERM") }
            return result
        } catch {
            await worker.stop()
            throw error
        }
    }

    /// The feeder's connection settings: a long timeout, since Redis may be busy flushing or serving a drain.
    var feedConnection: RedisConnectionConfiguration {
        RedisConnectionConfiguration(commandTimeout: .seconds(60), clientName: "ipwatcher-bench-feed")
    }

    /// The benchmark process's own id, for ``CPUMeter``.
    static var ownPid: Int32 { getpid() }
}

extension WorkerBenchmark {
    /// redis-server's pid from `INFO server`, when a redis-server with that pid runs on this host.
    public static func localRedisPid(endpoint: RedisEndpoint, logger: Logger) async throws -> Int32? {
        let connection = try await RedisConnection.connect(to: endpoint, logger: logger)
        let control = BenchRedisControl(connection: connection, ownsServer: false)
        let info = try? await control.info("server")
        await connection.closeNow()
        guard let text = info?["process_id"], let pid = Int32(text),
            ProcFS.commandName(pid: pid)?.hasPrefix("redis-server") == true
        else { return nil }
        return pid
    }

}
