import ArgumentParser

/// The `ipwatcher` command: a Redis-backed bot-detection worker and its tools.
@main
struct IPWatcher: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ipwatcher",
        abstract: "Counts client addresses from a Redis queue and blocklists the ones that flood.",
        subcommands: [RunCommand.self, CheckConfigCommand.self, BlocklistCommand.self, BenchCommand.self, FeedCommand.self, DemoCommand.self]
    )
}
