import LocalRedis

/// Starts a local Redis Cluster, runs `body` with it under `deadline`, and always stops the cluster.
///
/// Like ``withRedisServer(_:deadline:sourceLocation:_:)``, the start enters ``TestLoadGate`` as load and the
/// deadline covers `body` only. A missing redis-cli (only possible here under CI, see
/// ``Trait/needsRedisCluster``) fails the start with an error naming the package to install.
public func withRedisCluster<Result: Sendable>(
    masters: Int = 3,
    replicasPerMaster: Int = 0,
    nodeTimeout: Duration = .milliseconds(1000),
    deadline: Duration = .seconds(30),
    _ body: @escaping @Sendable (LocalRedisCluster) async throws -> Result
) async throws -> Result {
    try await TestLoadGate.shared.load {
        let cluster = try await LocalRedisCluster.start(
            masters: masters, replicasPerMaster: replicasPerMaster, nodeTimeout: nodeTimeout)
        return try await withTestDeadline(deadline, using: cluster, stop: { await $0.stop() }, body)
    }
}
