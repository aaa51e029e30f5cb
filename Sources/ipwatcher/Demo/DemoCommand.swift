import ArgumentParser
import Demo
import Detection
import Foundation
import IPWatcherDaemon
import LocalRedis
import RedisClient
import Traffic

/// `ipwatcher demo`: the whole product on a laptop with nothing configured.
///
/// Starts a private redis-server (unless given a URL), runs the worker in this process, feeds the `mixed`
/// scenario, prints each bot as it is blocked, then the detection report, and stops everything it started —
/// also on Ctrl-C. With `--cluster` it starts a private 3-master Redis Cluster instead and runs three workers
/// on a queue of 12 shards: the scale-out setup of the README, on one machine.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run a private Redis, the worker and a synthetic feed, and report what was caught.",
        discussion: """
            With --redis-url the demo uses that server instead, under its own keys (ipwatcher:demo:*), so it \
            never touches a real queue or blocklist. With --cluster it starts a private 3-master Redis Cluster \
            (redis-server and redis-cli needed) and runs three workers on a queue of 12 shards.
            """
    )

    @Option(name: .customLong("redis-url"), help: "Use this Redis instead of starting a private one.")
    var redisURL: String?

    @Option(help: "Requests to send.")
    var count: Int = 60_000

    @Option(help: "Requests per second (0: as fast as possible).")
    var rate: Double = 20_000

    @Option(help: "Seed of the synthetic traffic.")
    var seed: UInt64 = 1

    @OptionGroup var rule: RuleOptions

    @Flag(help: "Print the report as JSON.")
    var json = false

    @Flag(help: "Start a private 3-master Redis Cluster and run three workers on a queue of 12 shards.")
    var cluster = false

    /// Workers and queue shards of the `--cluster` demo.
    static let clusterWorkers = 3
    static let clusterShards = 12

    func validate() throws {
        guard count > 0 else { throw ValidationError("--count must be positive") }
        guard rate >= 0 else { throw ValidationError("--rate must be 0 or more") }
        guard (2...DetectionRule.maximumThreshold).contains(rule.threshold) else {
            throw ValidationError("--threshold must be from 2 to \(DetectionRule.maximumThreshold)")
        }
        guard (1...86400).contains(rule.window) else { throw ValidationError("--window must be from 1 to 86400") }
        if cluster && redisURL != nil { throw ValidationError("--cluster starts its own cluster; leave out --redis-url") }
    }

    func run() async throws {
        if cluster {
            try await runOnPrivateCluster()
            return
        }
        var settings = demoSettings()
        if redisURL != nil {
            settings.queueKey = "ipwatcher:demo:ips"
            settings.blocklistKey = "ipwatcher:demo:blocklist"
            settings.eventsChannel = "ipwatcher:demo:events"
            settings.keys = KeySchema(prefix: "ipwatcher:demo:")
        } else if LocalRedisServer.executablePath(named: "redis-server") == nil {
            FileHandle.standardError.write(
                Data(
                    """
                    ipwatcher demo needs redis-server, which is not installed.
                      Debian/Ubuntu: sudo apt-get install redis-server   (or: scripts/setup)
                      macOS:         brew install redis
                    Or point the demo at a running Redis: ipwatcher demo --redis-url redis://127.0.0.1:6379

                    """.utf8))
            throw ExitCode.failure
        }
        try await running({
            try await LocalRedisServer.withPrivateServer(unless: redisURL) { url, started in
                if let started { note("started a private redis-server at \(started.url) (temporary, no persistence)") }
                try await runDemo(endpoint: RedisEndpoint(url: url), clusterSeeds: nil, settings: settings, workers: 1)
            }
        }, thenStop: {})
        if redisURL == nil { note("stopped the private redis-server") }
    }

    /// The worker settings both demos start from: a short block, and the rule given on the command line.
    private func demoSettings() -> WorkerSettings {
        var settings = WorkerSettings()
        settings.blockTimeout = .milliseconds(200)
        settings.detection.rules = [rule.rule]
        return settings
    }

    /// Runs `body`, then `stop`, also when `body` fails; an interruption (Ctrl-C, SIGTERM) exits with 130.
    private func running(_ body: () async throws -> Void, thenStop stop: () async -> Void) async throws {
        do {
            try await body()
        } catch {
            await stop()
            if error is DemoInterrupted {
                note("interrupted; stopped everything the demo started")
                throw ExitCode(130)
            }
            throw error
        }
        await stop()
    }

    /// `--cluster`: a private 3-master cluster, three workers, a sharded queue; everything stopped at the end.
    private func runOnPrivateCluster() async throws {
        guard LocalRedisServer.executablePath(named: "redis-server") != nil,
            LocalRedisServer.executablePath(named: "redis-cli") != nil
        else {
            FileHandle.standardError.write(
                Data(
                    """
                    ipwatcher demo --cluster needs redis-server and redis-cli.
                      Debian/Ubuntu: sudo apt-get install redis-server redis-tools   (or: scripts/setup)
                      macOS:         brew install redis

                    """.utf8))
            throw ExitCode.failure
        }
        let started = try await LocalRedisCluster.start(masters: 3)
        let seeds = started.masters.map { RedisEndpoint(address: .tcp(host: $0.host, port: $0.port)) }
        note(
            "started a private Redis Cluster: 3 masters at "
                + started.masters.map(\.address).joined(separator: ", ") + " (temporary, no persistence)")
        var settings = demoSettings()
        settings.queueShards = Self.clusterShards
        settings.clusterKeys = true
        try await running({
            try await runDemo(endpoint: seeds[0], clusterSeeds: seeds, settings: settings, workers: Self.clusterWorkers)
        }, thenStop: {
            await started.stop()
        })
        note("stopped the private Redis Cluster")
    }

    private func runDemo(
        endpoint: RedisEndpoint, clusterSeeds: [RedisEndpoint]?, settings: WorkerSettings, workers: Int
    ) async throws {
        let demo = DemoRun(
            endpoint: endpoint, clusterSeeds: clusterSeeds, settings: settings, workers: workers, count: count,
            rate: rate > 0 ? rate : nil, seed: seed)
        let rule = settings.detection.unitRule
        note(
            "worker: \(rule.mode.rawValue) windows of \(rule.windowSeconds) s, threshold \(rule.threshold); "
                + (workers > 1 ? "\(workers) workers on \(settings.queueShards) queue shards; " : "")
                + "feeding \(NumberText.grouped(count)) requests of the mixed scenario"
                + (rate > 0 ? " at \(NumberText.grouped(Int(rate)))/s" : ""))
        let printer = FeedProgressPrinter()
        let outcome: DemoRun.Outcome
        do {
            outcome = try await untilInterrupted(throwing: { DemoInterrupted() }) {
                try await demo.run(
                    onBlock: { printer.note("  blocked \($0.unit)  (\($0.count) requests in the window)") },
                    onProgress: { printer.show($0) })
            }
        } catch {
            printer.finishLine()
            throw error
        }
        printer.finishLine()
        for warning in outcome.feed.warnings { note("warning: \(warning)") }
        for (index, totals) in outcome.workerTotals.enumerated() {
            note(
                (workers > 1 ? "worker \(index + 1)" : "worker")
                    + ": processed \(NumberText.grouped(totals.popped)), blocked \(NumberText.grouped(totals.blocked)), "
                    + "rejected \(NumberText.grouped(totals.rejectedTotal))")
        }
        if let report = outcome.feed.report {
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                print(report.text())
            }
        }
    }

    private func note(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}

/// Ctrl-C or SIGTERM during the demo.
struct DemoInterrupted: Error {}
