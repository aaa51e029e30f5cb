import ArgumentParser

/// `ipwatcher redis`: operator tasks on the Redis server the worker uses.
struct RedisCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redis",
        abstract: "Prepare Redis for the worker.",
        discussion: "--config, --redis-url and --blocklist may come before the subcommand's name or after it; given twice, the later wins.",
        subcommands: [InstallFunctionsCommand.self]
    )

    /// Options given before the subcommand's name.
    @OptionGroup var connection: ConnectionOptions
}
