import ArgumentParser

/// `ipwatcher blocklist`: inspect and edit the blocklist the web tier checks.
struct BlocklistCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "blocklist",
        abstract: "List, check, add and remove blocked addresses.",
        discussion: """
            Addresses are turned into units exactly as the worker does (IPv4 /32 and IPv6 /64 by default, \
            ::ffff: addresses as IPv4), using the same configuration file, environment and flags.
            """,
        subcommands: [
            BlocklistListCommand.self, BlocklistCheckCommand.self, BlocklistAddCommand.self,
            BlocklistRemoveCommand.self,
        ]
    )
}
