import ArgumentParser

/// `ipwatcher redis`: operator tasks on the Redis server the worker uses.
struct RedisCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redis",
        abstract: "Prepare Redis for the worker.",
        subcommands: [InstallFunctionsCommand.self]
    )
}
