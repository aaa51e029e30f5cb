import Testing

extension Trait where Self == ConditionTrait {
    /// Runs the suite only where redis-server exists, or under CI.
    ///
    /// On a developer machine without redis-server the suite is skipped with a loud warning, so the unit tests stay
    /// usable without Redis installed. Under CI (``TestEnvironment/isCI``) it is never skipped: it runs and fails in
    /// ``withRedisServer(_:deadline:sourceLocation:_:)``, because a silently skipped suite would hide that nothing
    /// was tested.
    public static var needsRedisServer: Self {
        .enabled(
            if: RedisTools.serverTestsRun,
            "needs redis-server on PATH; skipped locally when missing, fails under CI")
    }

    /// Runs the suite only where a local Redis Cluster can be started (redis-server and redis-cli), or under CI;
    /// like ``needsRedisServer``.
    public static var needsRedisCluster: Self {
        .enabled(
            if: RedisTools.clusterTestsRun,
            "needs redis-server and redis-cli on PATH; skipped locally when missing, fails under CI")
    }

    /// Runs the suite only where a local Sentinel group can be started (redis-server, and redis-sentinel or
    /// redis-server's `--sentinel`), or under CI; like ``needsRedisServer``.
    public static var needsRedisSentinel: Self {
        .enabled(
            if: RedisTools.sentinelTestsRun,
            "needs redis-server (and redis-sentinel, or redis-server --sentinel) on PATH; skipped locally when missing, fails under CI")
    }
}
