import Foundation
import LocalRedis

/// Whether the Redis tools the fixtures launch are here, decided once per test process.
public enum RedisTools {
    /// The message recorded when redis-server is missing under CI.
    public static let missingServerMessage = "redis-server not on PATH: install redis-server (scripts/setup does)"

    /// Path of the redis-server that LocalRedisServer would launch, or nil when there is none.
    public static let redisServer: String? = LocalRedisServer.executablePath(named: "redis-server")

    /// Path of the redis-cli that LocalRedisCluster runs to form a cluster, or nil when there is none.
    public static let redisCLI: String? = LocalRedisServer.executablePath(named: "redis-cli")

    /// The command that LocalRedisSentinel runs a sentinel with: redis-sentinel (Debian's redis-sentinel package),
    /// or `redis-server --sentinel` without it; nil when there is neither.
    public static let redisSentinel: [String]? = LocalRedisSentinel.launchCommand()

    /// True when the tests that need redis-server should run: it exists, or under CI, where its absence must fail
    /// in ``withRedisServer(_:deadline:sourceLocation:_:)`` rather than skip.
    ///
    /// Evaluated lazily and once; says which server the tests use, or warns loudly that they are skipped.
    public static let serverTestsRun: Bool = {
        if let redisServer {
            // So that a test log shows the tests ran against a real server.
            FileHandle.standardError.write(Data("Redis tests: using \(redisServer)\n".utf8))
            return true
        }
        if TestEnvironment.isCI { return true }
        TestEnvironment.warn(
            "\(missingServerMessage).\n"
                + "The tests that need redis-server are SKIPPED. Set CI=1 to make them fail instead.")
        return false
    }()

    /// True when the tests that need a local Redis Cluster should run: redis-server and redis-cli exist, or
    /// under CI, where ``LocalRedisCluster/start(masters:replicasPerMaster:nodeTimeout:)`` then fails naming the
    /// package to install.
    public static let clusterTestsRun: Bool = {
        guard serverTestsRun else { return false }
        if redisCLI != nil || TestEnvironment.isCI { return true }
        TestEnvironment.warn(
            "redis-cli not on PATH: install redis-tools (scripts/setup does).\n"
                + "The local Redis Cluster tests are SKIPPED. Set CI=1 to make them fail instead.")
        return false
    }()

    /// True when the tests that need a local Sentinel group should run: as ``serverTestsRun``, since without
    /// redis-sentinel redis-server runs the sentinels itself. Under CI without either,
    /// ``withRedisSentinel(_:deadline:_:)`` fails naming the packages to install.
    ///
    /// Says which command runs the sentinels, so a test log shows whether the fallback was used.
    public static let sentinelTestsRun: Bool = {
        guard serverTestsRun else { return false }
        if let redisSentinel {
            FileHandle.standardError.write(Data("Redis Sentinel tests: using \(redisSentinel.joined(separator: " "))\n".utf8))
        }
        return true
    }()
}
