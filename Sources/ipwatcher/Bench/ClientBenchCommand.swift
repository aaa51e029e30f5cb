import ArgumentParser
import Benchmark

/// `ipwatcher bench client`: the RESP client's throughput beside `redis-benchmark` on the same server.
///
/// Both run in the same invocation against the same server, so the ratio holds even on a shared, noisy
/// machine where absolute numbers move from run to run.
struct ClientBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client",
        abstract: "Pipelined INCR and SET/GET round trips, beside redis-benchmark, as a ratio."
    )

    @OptionGroup var target: BenchTargetOptions

    @Option(help: "INCR commands per measurement.")
    var requests: Int = 2_000_000

    @Option(help: "Commands per pipeline (redis-benchmark -P).")
    var pipeline: Int = 64

    @Option(help: "Concurrent connections (redis-benchmark -c).")
    var connections: Int = 50

    @Option(help: "SET+GET round trips, one command at a time on one connection.")
    var roundTrips: Int = 20_000

    @Option(help: "Best of this many runs of each measurement.")
    var repeats: Int = 3

    func validate() throws {
        guard requests > 0, pipeline > 0, connections > 0, roundTrips > 0, repeats > 0 else {
            throw ValidationError("--requests, --pipeline, --connections, --round-trips and --repeats must be positive")
        }
    }

    func run() async throws {
        let benchmark = ClientBenchmark(
            requests: requests, pipeline: pipeline, connections: connections, roundTrips: roundTrips, repeats: repeats)
        try await target.measure { try await benchmark.run(endpoint: $0) }
    }
}
