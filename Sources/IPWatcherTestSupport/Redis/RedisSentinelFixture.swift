import LocalRedis

/// Starts a local Sentinel group (a master, its replicas and the sentinels), runs `body` with it under `deadline`,
/// and always stops the group.
///
/// Like ``withRedisCluster(masters:replicasPerMaster:nodeTimeout:deadline:_:)``, the start enters ``TestLoadGate``
/// as load and the deadline covers `body` only, not the start (2–4 s) nor the wait at the gate. Without redis-server
/// (only possible here under CI, see ``Trait/needsRedisSentinel``) the start fails with an error naming the packages
/// to install.
public func withRedisSentinel<Result: Sendable>(
    _ options: LocalRedisSentinelOptions = LocalRedisSentinelOptions(),
    deadline: Duration = .seconds(60),
    _ body: @escaping @Sendable (LocalRedisSentinelGroup) async throws -> Result
) async throws -> Result {
    try await TestLoadGate.shared.load {
        let group = try await LocalRedisSentinelGroup.start(options)
        return try await withTestDeadline(deadline, using: group, stop: { await $0.stop() }, body)
    }
}
