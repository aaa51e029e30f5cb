import ArgumentParser
import Detection
import Foundation
import IPWatcherDaemon
import Logging
import RedisClient
import Traffic

/// `ipwatcher feed`: synthetic traffic with known bots for the queue, and optionally a report on how the
/// worker did against that ground truth.
struct FeedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "feed",
        abstract: "Push synthetic traffic with known bots onto the queue; with --report, judge the worker's blocks.",
        discussion: """
            Scenarios: users (below the threshold in every window), bots (bursts of 2-4x the threshold), \
            straddle (bursts split across a fixed-window boundary; implies --with-time), rotate (IPv6 bots on a new \
            address in one /64 per request), nat (one IPv4 address shared by many users, over the threshold in \
            total: blocked by the rule), mixed (all interleaved), crawler (slow and steady: under every rule but \
            the one with the longest window, over that one; implies --with-time), subnet (farms of bots over the \
            threshold in one IPv4 /24 or IPv6 /48, with fresh addresses of the same range that a range ban must \
            refuse), repeat (bots that come back twice after their ban ends; implies --with-time, and the feed \
            must outlast the bans: give --duration or --rate), interleaved (users sent round after round, about ten \
            requests each, so a batch rarely holds an address twice), distinct (one or two requests per address). \
            Addresses come from documentation, benchmarking and \
            shared ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 198.18.0.0/15, 100.64.0.0/10, \
            2001:db8::/32). The same --seed sends the same traffic. --config FILE reads the worker's own \
            configuration: every rule, ban, escalation and range-ban setting, and the queue, blocklist and events \
            keys; without it --threshold, --window and --mode must match the worker's for the ground truth to be \
            right. With --shards N (the worker's queue.shards) each entry goes to \
            <queue>:{CRC-32 of its address mod N}, as web-tier producers push; a redis+cluster:// URL (or --cluster) \
            feeds a Redis Cluster. Exit status: 0; 1 when --report finds the queue not drained in time.
            """
    )

    @Option(
        help: "users, bots, straddle, rotate, nat, mixed, crawler, subnet, repeat, interleaved or distinct (default: mixed).")
    var scenario: String?

    @Option(help: "Send this one address every time instead of a scenario (the tutorial's scraper burst).")
    var ip: String?

    @Option(help: "Requests to send (default: 10000 unless --duration is given).")
    var count: Int?

    @Option(help: "Send for this many seconds instead of a count.")
    var duration: Double?

    @Option(help: "Requests per second, paced in 10 ms slices; without it, as fast as Redis takes them.")
    var rate: Double?

    @Option(help: "Seed that fixes every address, count and interleaving.")
    var seed: UInt64 = 1

    @Flag(name: .customLong("with-time"), help: "Attach event times (ADDR TIME_MS) to the entries.")
    var withTime = false

    @Option(
        name: .customLong("config"),
        help: "The worker's configuration file: its rules, bans, escalation, range bans and keys shape the traffic and the ground truth (instead of --threshold, --window and --mode).")
    var configFile: String?

    @Option(help: "Queue list key (default: the --config file's queue.key, else ips).")
    var queue: String?

    @Option(help: "Queue shards, as the worker's queue.shards: above 1, each entry goes to <queue>:{CRC-32 of its address mod N}.")
    var shards: Int?

    @Flag(help: "The --redis-url is a node of a Redis Cluster (implied by redis+cluster:// and rediss+cluster:// URLs).")
    var cluster = false

    @Option(
        name: .customLong("redis-url"),
        help: """
            Redis URL: redis://, rediss://, unix://, redis+sentinel://host:port,host:port/<master name> behind \
            Sentinel, or redis+cluster://host:port,host:port for a Redis Cluster \
            (default: $IPWATCHER_REDIS_URL, else redis://127.0.0.1:6379).
            """)
    var redisURL: String?

    @OptionGroup var rule: RuleOptions

    @Flag(help: "After sending, wait for the worker to drain the queue and report caught and missed bots.")
    var report = false

    @Option(name: .customLong("events-channel"), help: "The worker's pub/sub channel for block events (with --report).")
    var eventsChannel: String?

    @Option(help: "Blocklist set key (with --report).")
    var blocklist: String?

    @Option(name: .customLong("drain-timeout"), help: "Seconds to wait for the worker to empty the queue (with --report).")
    var drainTimeout: Double = 60

    @Flag(help: "List every caught, missed and wrongly blocked unit (with --report).")
    var verbose = false

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func validate() throws {
        if ip != nil, scenario != nil { throw ValidationError("--ip and --scenario exclude each other") }
        if let ip, IPAddress(ip) == nil { throw ValidationError("--ip \(ip) is not an IPv4 or IPv6 address") }
        if let scenario, TrafficScenario(name: scenario) == nil {
            let names = TrafficScenario.named.map(\.description).joined(separator: ", ")
            throw ValidationError("unknown scenario \(scenario); one of: \(names)")
        }
        if count != nil, duration != nil { throw ValidationError("--count and --duration exclude each other") }
        if let duration, !(duration > 0 && duration.isFinite) { throw ValidationError("--duration must be positive") }
        if !(drainTimeout > 0 && drainTimeout.isFinite) { throw ValidationError("--drain-timeout must be positive") }
        if let problem = feedConfiguration(worker: nil).validate() { throw ValidationError(problem) }
    }

    /// The flags as a feed configuration, over the worker's configuration when `--config` gave one.
    func feedConfiguration(worker: IPWatcherConfiguration?) -> FeedConfiguration {
        let chosen: TrafficScenario =
            if let ip, let address = IPAddress(ip) { .single(address) } else { scenario.flatMap(TrafficScenario.init(name:)) ?? .mixed }
        let limit: FeedLimit =
            if let duration { .duration(.milliseconds(Int64((duration * 1000).rounded()))) } else { .count(count ?? 10_000) }
        var configuration = FeedConfiguration(
            scenario: chosen,
            rule: rule.rule,
            seed: seed, limit: limit, rate: rate, withTime: withTime, queueKey: queue ?? worker?.queue.key ?? "ips")
        if let worker { configuration.setup = DetectionSetup(worker: worker) }
        configuration.queueShards = shards ?? worker?.queue.shards ?? 1
        return configuration
    }

    /// The worker's configuration from `--config`, or nil; a file that does not load ends the command with status 78
    /// and the loader's one-line message.
    func workerConfiguration() async throws -> IPWatcherConfiguration? {
        guard let configFile else { return nil }
        do {
            return try await IPWatcherConfiguration.load(
                file: configFile, fileIsExplicit: true, environment: ProcessInfo.processInfo.environment, overrides: [:])
        } catch {
            FileHandle.standardError.write(Data("ipwatcher feed: configuration: \(error)\n".utf8))
            throw ExitCode(78)
        }
    }

    /// The endpoint, and the cluster's seeds when `url` names a cluster (or `--cluster` says it is one).
    func redisTargets(url: String) throws -> (endpoint: RedisEndpoint, clusterSeeds: [RedisEndpoint]?) {
        let lowered = url.lowercased()
        let seeds: [RedisEndpoint]?
        do {
            if lowered.hasPrefix("redis+cluster://") || lowered.hasPrefix("rediss+cluster://") {
                seeds = try RedisEndpoint.clusterSeeds(url: url)
            } else {
                let endpoint = try RedisEndpoint(url: url)
                guard cluster else { return (endpoint, nil) }
                seeds = [endpoint]
            }
        } catch {
            throw ValidationError("--redis-url: \(error)")
        }
        guard let seeds, let first = seeds.first else { throw ValidationError("--redis-url: no cluster hosts") }
        switch first.address {
        case .tcp: break
        case .unix:
            throw ValidationError("--redis-url: a Redis Cluster is reached over TCP: give redis://host:port, not unix://")
        case .sentinel:
            throw ValidationError("--cluster cannot go with a redis+sentinel:// URL: Sentinel watches one master, not a cluster")
        }
        return (first, seeds)
    }

    func run() async throws {
        LoggingSetup.bootstrap(level: .warning)
        let worker = try await workerConfiguration()
        let url =
            redisURL ?? worker?.redis.url ?? ProcessInfo.processInfo.environment["IPWATCHER_REDIS_URL"]
            ?? "redis://127.0.0.1:6379"
        let (endpoint, clusterSeeds) = try redisTargets(url: url)
        let configuration = feedConfiguration(worker: worker)
        if let problem = configuration.validate() {
            FileHandle.standardError.write(Data("ipwatcher feed: \(problem)\n".utf8))
            throw ExitCode(64)
        }
        let printer = FeedProgressPrinter()
        for warning in configuration.warnings { printer.note("note: \(warning)") }
        if configuration.scenario.requiresEventTimes, !withTime {
            printer.note("note: \(configuration.scenario) needs event times; sending them")
        }
        var settings =
            report
            ? ReportSettings(
                eventsChannel: eventsChannel ?? worker?.blocklist.eventsChannel ?? "ipwatcher:events",
                blocklistKey: blocklist ?? worker?.blocklist.key ?? "blocklist",
                drainTimeout: .milliseconds(Int64((drainTimeout * 1000).rounded())))
            : nil
        settings?.rangesKey = worker?.blocklist.rangesKey ?? "blocklist:ranges"
        let runner = FeedRunner(
            endpoint: endpoint, clusterSeeds: clusterSeeds, configuration: configuration, report: settings)
        let outcome: FeedOutcome
        do {
            outcome = try await runner.run { printer.show($0) }
        } catch {
            printer.finishLine()
            FileHandle.standardError.write(Data("ipwatcher feed: \(error)\n".utf8))
            throw ExitCode.failure
        }
        printer.finishLine()
        for warning in outcome.warnings { printer.note("warning: \(warning)") }
        if json {
            print(FeedJSON(outcome: outcome).text)
        } else {
            print(outcome.summary.text)
            if let detection = outcome.report {
                print("")
                print(detection.text(verbose: verbose))
            }
        }
        if let drain = outcome.drain, !drain.drained {
            FileHandle.standardError.write(
                Data(
                    ("ipwatcher feed: \(configuration.shards.count > 1 ? "\(configuration.queueKey):{0…\(configuration.shards.count - 1)}" : configuration.queueKey) still held \(drain.remaining) entries after \(NumberText.seconds(.milliseconds(Int64(drain.waitedSeconds * 1000))))"
                        + ": is a worker running on this queue? The report above is incomplete.\n").utf8))
            throw ExitCode.failure
        }
    }
}
