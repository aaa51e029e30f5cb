import ArgumentParser

/// `ipwatcher blocklist`: inspect and edit the blocklist the web tier checks.
struct BlocklistCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "blocklist",
        abstract: "List, check, add, remove and explain blocked addresses.",
        discussion: """
            Addresses are turned into units exactly as the worker does (IPv4 /32 and IPv6 /64 by default, \
            ::ffff: addresses as IPv4), using the same configuration file, environment and flags. --config, \
            --redis-url and --blocklist may come before the subcommand's name or after it; given twice, the later wins.
            """,
        subcommands: [
            BlocklistListCommand.self, BlocklistCheckCommand.self, BlocklistAddCommand.self,
            BlocklistRemoveCommand.self, BlocklistExplainCommand.self,
        ]
    )

    /// Options given before the subcommand's name.
    @OptionGroup var connection: ConnectionOptions
}
