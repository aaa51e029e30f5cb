import Foundation
import LocalRedis
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Shared fixtures for suites that talk to a real local Redis Cluster. This file declares no suite.

/// Whether the cluster suites can run here, decided once per test process.
enum RedisClusterFixture {
    /// Path of the redis-cli that LocalRedisCluster would run, or nil when there is none.
    static let redisCLI: String? = LocalRedisServer.executablePath(named: "redis-cli")

    /// True when redis-server and redis-cli exist, or on CI, where their absence must fail rather than skip.
    ///
    /// Evaluated lazily and once; when the tests are skipped it prints a warning to stderr so the skip is noticed.
    static let shouldRun: Bool = {
        guard RedisServerFixture.shouldRun else { return false }
        if redisCLI != nil || RedisServerFixture.isCI { return true }
        let warning = """

            ************************************************************************
            WARNING: redis-cli not on PATH: install redis-tools (scripts/setup does).
            The local Redis Cluster tests are SKIPPED. Set CI=1 to make them fail instead.
            ************************************************************************

            """
        FileHandle.standardError.write(Data(warning.utf8))
        return false
    }()
}

extension Trait where Self == ConditionTrait {
    /// Runs the suite only where a local Redis Cluster can be started: redis-server and redis-cli are both needed.
    ///
    /// Like ``requiresRedisServer``: skipped with a loud warning on a developer machine without them, never
    /// skipped when CI is set, where ``LocalRedisCluster/start(masters:replicasPerMaster:nodeTimeout:)`` then
    /// fails with an error naming the package to install.
    static var requiresRedisCluster: Self {
        .enabled(
            if: RedisClusterFixture.shouldRun,
            "needs redis-server and redis-cli on PATH; skipped locally when missing, fails when CI is set")
    }
}

/// Starts a local Redis Cluster, runs `body` with it under a deadline, and always stops the cluster.
func withCluster<Result: Sendable>(
    masters: Int = 3,
    replicasPerMaster: Int = 0,
    nodeTimeout: Duration = .milliseconds(1000),
    deadline: Duration = .seconds(30),
    _ body: @escaping @Sendable (LocalRedisCluster) async throws -> Result
) async throws -> Result {
    try await TestLoadGate.shared.load {
        let cluster = try await LocalRedisCluster.start(
            masters: masters, replicasPerMaster: replicasPerMaster, nodeTimeout: nodeTimeout)
        do {
            let result = try await withDeadline(deadline) { try await body(cluster) }
            await cluster.stop()
            return result
        } catch {
            await cluster.stop()
            throw error
        }
    }
}

/// The value of `name:value` in an `INFO` or `CLUSTER INFO` reply, or nil.
func infoField(_ name: String, in reply: String) -> String? {
    let prefix = name + ":"
    for line in reply.split(whereSeparator: \.isNewline) where line.hasPrefix(prefix) {
        return line.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces)
    }
    return nil
}

/// Whether a process with this pid exists (a zombie counts; LocalRedis reaps its children, so none should be one).
func processExists(_ pid: Int32) -> Bool {
    pid > 0 && (kill(pid, 0) == 0 || errno == EPERM)
}

/// Pids of processes whose command line mentions `text`; empty where there is no /proc.
///
/// LocalRedis starts redis-server with `set-proc-title no`, so its command line keeps the config path, which
/// contains the node's directory.
func processes(mentioning text: String) -> [Int32] {
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
    return entries.compactMap { entry -> Int32? in
        guard let pid = Int32(entry),
              let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline")
        else { return nil }
        let commandLine = String(decoding: data.map { $0 == 0 ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
        return commandLine.contains(text) ? pid : nil
    }
}

/// Whether something accepts TCP connections on 127.0.0.1:`port` right now.
func loopbackPortAcceptsConnections(_ port: Int) -> Bool {
    #if canImport(Glibc)
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #else
    let descriptor = socket(AF_INET, SOCK_STREAM, 0)
    #endif
    guard descriptor >= 0 else { return false }
    defer { close(descriptor) }
    var address = sockaddr_in()
    #if canImport(Darwin)
    address.sin_len = UInt8(MemoryLayout<sockaddr_in>.size)
    #endif
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    return withUnsafePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
        }
    }
}
