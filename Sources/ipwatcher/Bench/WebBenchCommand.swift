import ArgumentParser
import Benchmark

/// `ipwatcher bench web`: the web-tier library's recorder rate, mirror load, lookup time and staleness.
struct WebBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "web",
        abstract: "The web tier's recorder rate, blocklist-mirror load, lookup time and event staleness.",
        discussion: """
            Records 2,000,000 addresses, loads a blocklist of 1,000,000 units into the mirror, times 1,000,000 \
            lookups and 1,000 block events from PUBLISH to the mirror; --short does a twentieth of each. With --url \
            it writes only bench:web:* keys and deletes them afterwards.
            """
    )

    @OptionGroup var target: BenchTargetOptions

    @Flag(help: "A twentieth of the work: a smoke run, not a measurement.")
    var short = false

    func run() async throws {
        let scale = short ? 20 : 1
        let benchmark = WebTierBenchmark(
            recorded: 2_000_000 / scale, units: 1_000_000 / scale, lookups: 1_000_000 / scale, events: 1000 / scale)
        try await target.measure { try await benchmark.run(endpoint: $0) }
    }
}
