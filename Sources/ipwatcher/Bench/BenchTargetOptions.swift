import ArgumentParser
import Benchmark
import LocalRedis
import RedisClient

/// `--url` and `--json` of `bench client` and `bench web`, and running their measurement against that Redis or a
/// private one started for the run.
struct BenchTargetOptions: ParsableArguments {
    @Option(help: "Redis URL to measure against; without it a private redis-server is started and stopped.")
    var url: String?

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    /// Runs `measurement` against the Redis to use and prints its report as asked.
    func measure<Report: PrintableBenchReport>(_ measurement: (RedisEndpoint) async throws -> Report) async throws {
        let report = try await LocalRedisServer.withPrivateServer(unless: url) { url, _ in
            try await measurement(RedisEndpoint(url: url))
        }
        print(json ? report.json : report.table)
    }
}

/// A benchmark report that prints as a table for people or as JSON.
protocol PrintableBenchReport {
    var table: String { get }
    var json: String { get }
}

extension ClientBenchReport: PrintableBenchReport {}
extension WebTierBenchReport: PrintableBenchReport {}
