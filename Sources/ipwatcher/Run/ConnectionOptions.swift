import ArgumentParser

/// The options that say where the configuration and Redis are, taken by a command group (`blocklist`, `redis`)
/// so they may come before the subcommand's name as well as after it, as git's and kubectl's do:
/// `ipwatcher blocklist --redis-url URL add ADDR`.
///
/// Part of every command's ``ConfigurationOptions``; a subcommand merges its group's into its own with
/// ``ConfigurationOptions/merging(_:)``.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "Configuration file (default: /etc/ipwatcher/ipwatcher.yaml when it exists).")
    var config: String?

    @Option(name: .customLong("redis-url"), help: "Redis URL: redis://, rediss://, unix://, redis+sentinel://host:port,host:port/<master name> behind Sentinel, or redis+cluster://host:port,host:port for a cluster (redis.url).")
    var redisURL: String?

    @Option(help: "Blocklist set key (blocklist.key).")
    var blocklist: String?
}
