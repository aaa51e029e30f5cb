import RedisClient

extension RedisConnectionConfiguration {
    /// The feed suites' own connections: a command may wait behind a feed's pipelined pushes, so 10 s for each.
    static let feedTests = RedisConnectionConfiguration(connectTimeout: .seconds(5), commandTimeout: .seconds(10))
}
