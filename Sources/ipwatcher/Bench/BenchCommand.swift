import ArgumentParser

/// `ipwatcher bench`: measurements anyone can repeat with one command.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks against a local or given Redis.",
        subcommands: [ClientBenchCommand.self]
    )
}
