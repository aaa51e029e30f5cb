import ArgumentParser
import Detection
import Foundation
import IPWatcherDaemon
import Logging
import RedisClient

/// `ipwatcher top`: a live view of the worker for the person on call, or one plain snapshot.
struct TopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "top",
        abstract: "Watch the worker: entries/s, queue, blocks/min, the units nearest each rule's threshold, the latest blocks.",
        discussion: """
            Redraws every --interval seconds until q (or Ctrl-C). With --once, or when standard output is not a \
            terminal, prints one plain snapshot and exits. Rates come from the worker's metrics endpoint \
            (--metrics, default metrics.listen); everything else from Redis, under the same configuration as the \
            worker (--config, environment, --redis-url).
            """)

    @OptionGroup var options: ConfigurationOptions

    @Flag(help: "Print one plain snapshot and exit (what top does when standard output is not a terminal).")
    var once = false

    @Option(help: "Seconds between redraws, 0.2 to 3600.")
    var interval: Double = 1

    @Option(
        help: "The worker's metrics endpoint, host:port or http://host:port/metrics; \"off\" reads none (default: metrics.listen).")
    var metrics: String?

    @Option(help: "Units listed per rule, 1 to 1000.")
    var units: Int = 10

    @Option(help: "Latest blocks listed, 1 to 1000.")
    var blocks: Int = 20

    @Option(name: .customLong("scan-limit"), help: "Most keys one refresh walks per rule with SCAN, 1000 to 100000000.")
    var scanLimit: Int = 50_000

    func validate() throws {
        guard (0.2...3600).contains(interval) else { throw ValidationError("--interval must be from 0.2 to 3600 seconds") }
        guard (1...1000).contains(units) else { throw ValidationError("--units must be from 1 to 1000") }
        guard (1...1000).contains(blocks) else { throw ValidationError("--blocks must be from 1 to 1000") }
        guard (1000...100_000_000).contains(scanLimit) else {
            throw ValidationError("--scan-limit must be from 1000 to 100000000")
        }
        if let metrics, metrics != "off", MetricsScraper(metrics) == nil {
            throw ValidationError("--metrics \"\(metrics)\" is not host:port, [IPv6]:port or http://host:port/path")
        }
    }

    func run() async throws {
        let configuration = try await options.load()
        if (try? configuration.clusterSeeds) != nil {
            throw Self.failure("top reads one Redis server; a Redis Cluster is not supported yet")
        }
        let endpoint: RedisEndpoint
        do {
            endpoint = try configuration.endpoint
        } catch {
            throw Self.failure("\(error)")
        }
        let settings = configuration.workerSettings
        let scraper: MetricsScraper? =
            switch metrics {
            case "off": nil
            case let text?: MetricsScraper(text)
            case nil: settings.metricsListen.flatMap { $0.port == 0 ? nil : MetricsScraper(address: $0) }
            }
        var collector = TopCollector(
            settings: settings, redisName: endpoint.description, scraper: scraper,
            limits: TopCollector.Limits(scanKeys: scanLimit, shownPerRule: units, shownBans: blocks))
        var logger = Logger(label: "ipwatcher.top")
        logger.logLevel = .critical
        let connect: @Sendable () async throws -> RedisConnection = { [logger] in
            try await RedisConnection.connect(
                to: endpoint, configuration: configuration.redisConnectionConfiguration, logger: logger)
        }
        if once || !TerminalScreen.isInteractive {
            try await printSnapshot(&collector, connect: connect)
        } else {
            try await watch(collector, connect: connect)
        }
    }

    /// Prints one snapshot without escape codes: the metrics endpoint is scraped, then again `--interval` later with
    /// Redis read, so the rates are there. Redis unreachable ends the command with status 2 and one line.
    func printSnapshot(
        _ collector: inout TopCollector, connect: @Sendable () async throws -> RedisConnection
    ) async throws {
        if await collector.scrape(now: WallClock().nowMilliseconds()) {
            try await Task.sleep(for: .milliseconds(Int(interval * 1000)))
        }
        let connection: RedisConnection
        do {
            connection = try await connect()
        } catch {
            throw Self.failure("\(error)")
        }
        do {
            let snapshot = try await collector.collect(on: connection, now: WallClock().nowMilliseconds())
            await connection.close()
            print(TopRenderer().lines(snapshot).joined(separator: "\n"))
        } catch {
            await connection.close()
            throw Self.failure("reading Redis failed: \(error)")
        }
    }

    /// Prints `ipwatcher: <message>` on standard error and returns exit status 2 to throw.
    static func failure(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("ipwatcher: \(message)\n".utf8))
        return ExitCode(2)
    }
}
