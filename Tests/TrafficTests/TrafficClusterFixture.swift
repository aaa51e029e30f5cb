import Foundation
import LocalRedis
import Testing

// A local Redis Cluster for the feed suites. This file declares no suite. It mirrors
// Tests/RedisClientTests/RedisClusterFixture.swift, which cannot be imported across test targets.

/// Whether the cluster suites can run here, decided once per test process.
enum TrafficClusterFixture {
    /// Path of the redis-cli that LocalRedisCluster runs to form the cluster, or nil when there is none.
    static let redisCLI: String? = LocalRedisServer.executablePath(named: "redis-cli")

    /// True when redis-server and redis-cli exist, or on CI, where their absence must fail rather than skip.
    static let shouldRun: Bool = {
        guard TrafficRedisFixture.shouldRun else { return false }
        if redisCLI != nil || TrafficRedisFixture.isCI { return true }
        FileHandle.standardError.write(
            Data("\nWARNING: redis-cli not on PATH (install redis-tools): the feed cluster tests are SKIPPED.\n".utf8))
        return false
    }()
}

extension Trait where Self == ConditionTrait {
    /// Runs the suite only where a local Redis Cluster can be started (redis-server and redis-cli), and always
    /// under CI, where a missing tool then fails with an error naming the package to install.
    static var feedNeedsRedisCluster: Self {
        .enabled(
            if: TrafficClusterFixture.shouldRun,
            "needs redis-server and redis-cli on PATH; skipped locally when missing, fails when CI is set")
    }
}

/// Starts a 3-master local Redis Cluster, runs `body` with it under a deadline, and always stops the cluster.
func withFeedCluster<Result: Sendable>(
    deadline: Duration = .seconds(30),
    _ body: @escaping @Sendable (LocalRedisCluster) async throws -> Result
) async throws -> Result {
    try await TestLoadGate.shared.load {
        let cluster = try await LocalRedisCluster.start(masters: 3)
        do {
            let result = try await withFeedDeadline(deadline) { try await body(cluster) }
            await cluster.stop()
            return result
        } catch {
            await cluster.stop()
            throw error
        }
    }
}
