import ArgumentParser

/// `ipwatcher bench`: measurements anyone can repeat with one command. Without a subcommand it runs the
/// worker benchmark (`bench worker`); `bench client` measures the RESP client alone.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks against a local or given Redis.",
        subcommands: [WorkerBenchCommand.self, ClientBenchCommand.self, WebBenchCommand.self],
        defaultSubcommand: WorkerBenchCommand.self
    )
}
