import ArgumentParser
import Foundation

/// The `ipwatcher` command: a Redis-backed bot-detection worker and its tools.
@main
struct IPWatcher: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ipwatcher",
        abstract: "Counts client addresses from a Redis queue and blocklists the ones that flood.",
        version: Version.text,
        subcommands: [RunCommand.self, CheckConfigCommand.self, BlocklistCommand.self, TopCommand.self, RedisCommand.self, BenchCommand.self, FeedCommand.self, DemoCommand.self, ReplayCommand.self]
    )

    /// Parses a copy of the arguments taken before any password in them is blanked from the process's command
    /// line (see ``CommandLinePasswordScrubber``), then runs the command.
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if CommandLinePasswordScrubber.scrubbedArgumentCount > 0, arguments.first != "run" {
            // `run` logs this through its logger instead, in the format of its other lines.
            FileHandle.standardError.write(Data("ipwatcher: warning: \(CommandLinePasswordScrubber.warning)\n".utf8))
        }
        await main(arguments)
    }
}
