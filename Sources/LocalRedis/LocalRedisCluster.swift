import Foundation

/// A private Redis Cluster of local redis-server processes, for tests that need real cluster behaviour.
///
/// Every node is a ``LocalRedisServer`` with `cluster-enabled yes`, its `nodes.conf` in its own temporary
/// directory, no persistence, listening on 127.0.0.1 at a port whose bus port (port + 10000) was free too. The
/// cluster is formed with `redis-cli --cluster create`, exactly as an operator would, so redis-cli (Debian's
/// redis-tools) must be installed. Start with ``start(masters:replicasPerMaster:nodeTimeout:)``, always end with
/// ``stop()``; if the instance is released without it, each node's server is killed and its directory removed
/// as for ``LocalRedisServer``. Lifecycle calls may come from any task.
public final class LocalRedisCluster: Sendable {
    /// All nodes, in the order their addresses were given to redis-cli; the first `masters` of them were created
    /// as masters only if redis-cli chose so, so look at ``LocalRedisClusterNode/role``.
    public let nodes: [LocalRedisClusterNode]
    /// How many masters the cluster was created with; after any failover there are still this many serving slots.
    public let masterCount: Int
    /// How many replicas each master was created with.
    public let replicasPerMaster: Int
    /// The `cluster-node-timeout` of every node: how long a node may be unreachable before it is considered failing.
    public let nodeTimeout: Duration
    /// Everything `redis-cli --cluster create` printed, for diagnosis.
    public let creationOutput: String

    let redisCLIPath: String
    private let stopped = Locked(false)

    init(
        nodes: [LocalRedisClusterNode],
        masterCount: Int,
        replicasPerMaster: Int,
        nodeTimeout: Duration,
        creationOutput: String,
        redisCLIPath: String
    ) {
        self.nodes = nodes
        self.masterCount = masterCount
        self.replicasPerMaster = replicasPerMaster
        self.nodeTimeout = nodeTimeout
        self.creationOutput = creationOutput
        self.redisCLIPath = redisCLIPath
    }

    /// The nodes created as masters.
    public var masters: [LocalRedisClusterNode] { nodes.filter { $0.role == .master } }

    /// The nodes created as replicas.
    public var replicas: [LocalRedisClusterNode] { nodes.filter { $0.role == .replica } }

    /// The nodes created as replicas of `master`.
    public func replicas(of master: LocalRedisClusterNode) -> [LocalRedisClusterNode] {
        nodes.filter { $0.masterID == master.id }
    }

    /// The first node's URL, a starting point for a cluster client; it is not updated when that node is killed.
    public var seedURL: String { nodes[0].url }

    /// Every node's URL, in node order; give a cluster client several so it survives one node being down.
    public var seedURLs: [String] { nodes.map(\.url) }

    /// Stops every node and deletes every node's directory; safe to call repeatedly.
    ///
    /// Nodes are stopped at the same time, each as in ``LocalRedisServer/stop()`` (SIGTERM, SIGKILL after 5 s,
    /// always reaped). Not cancellable, so cleanup completes even in a cancelled task. Afterwards ``restart(_:)`` fails.
    public func stop() async {
        stopped.withLock { $0 = true }
        await Self.stop(nodes.map(\.server))
    }

    /// Kills `node`'s redis-server with SIGKILL, simulating a crash; its files, `nodes.conf` included, are kept.
    ///
    /// The other nodes notice after ``nodeTimeout``; if the node was a master with a replica, the replica is then
    /// promoted. Use ``waitUntilHealthy(timeout:)`` to wait for that. A node of another cluster is ignored.
    public func kill(_ node: LocalRedisClusterNode) async {
        guard owns(node) else { return }
        await node.server.kill()
    }

    /// Starts `node`'s redis-server again on the same ports with its kept `nodes.conf`, so it rejoins as the same node.
    ///
    /// A running node is shut down first (SIGTERM, which also saves `nodes.conf`). A master that lost its slots in a
    /// failover while it was down comes back as a replica of its successor. Returns once the server accepts
    /// connections, not once the cluster agrees again: call ``waitUntilHealthy(timeout:)`` for that.
    public func restart(_ node: LocalRedisClusterNode) async throws(LocalRedisClusterError) {
        guard owns(node) else {
            throw .invalidArgument("\(node) is not a node of this cluster")
        }
        guard !stopped.withLock({ $0 }) else {
            throw .invalidArgument("the cluster was stopped, so \(node) has no cluster configuration left to restart with")
        }
        do {
            try await node.server.restart()
        } catch {
            throw .nodeFailed(error)
        }
    }

    /// Runs redis-cli with `arguments` exactly as given (no shell) and returns what it printed, stdout and stderr together.
    ///
    /// For `--cluster reshard`, `--cluster check`, `CLUSTER SETSLOT` and the like; address nodes with
    /// ``LocalRedisClusterNode/address`` or use ``redisCLI(on:_:timeout:)``. Fails with
    /// ``LocalRedisClusterError/redisCLIFailed(command:reason:output:)`` on a non-zero exit status, after `timeout`
    /// (redis-cli is then killed), or when the task is cancelled. Note that redis-cli exits with status 0 when a
    /// single command gets an error reply, which then appears in the returned output (e.g. `ERR …`).
    @discardableResult
    public func redisCLI(
        _ arguments: [String],
        timeout: Duration = .seconds(60)
    ) async throws(LocalRedisClusterError) -> String {
        try await Self.runRedisCLI(redisCLIPath, arguments, timeout: timeout)
    }

    /// Runs one redis-cli command against `node`, i.e. with `-h 127.0.0.1 -p PORT` put before `arguments`.
    ///
    /// Behaves like ``redisCLI(_:timeout:)``; for example `redisCLI(on: node, ["CLUSTER", "SETSLOT", "42", "STABLE"])`.
    @discardableResult
    public func redisCLI(
        on node: LocalRedisClusterNode,
        _ arguments: [String],
        timeout: Duration = .seconds(60)
    ) async throws(LocalRedisClusterError) -> String {
        try await redisCLI(["-h", node.host, "-p", String(node.port)] + arguments, timeout: timeout)
    }

    /// The role `node` reports now (from `INFO replication`), or nil when it does not answer.
    ///
    /// Unlike ``LocalRedisClusterNode/role`` this follows failovers. Blocks the calling thread for up to about a
    /// second when the node's process is stopped but its port still accepts connections; otherwise it is immediate.
    public func currentRole(of node: LocalRedisClusterNode) -> LocalRedisClusterNode.Role? {
        guard case .text(let info) = RedisCommandProbe(port: node.port).send(["INFO", "replication"]) else {
            return nil
        }
        switch RedisCommandProbe.infoField("role", in: info) {
        case "master": return .master
        case "slave": return .replica
        default: return nil
        }
    }

    /// Whether `node` is one of this cluster's nodes (same index and the very same server).
    private func owns(_ node: LocalRedisClusterNode) -> Bool {
        nodes.indices.contains(node.index) && nodes[node.index].server === node.server
    }

    /// Stops `servers` concurrently and waits for all of them.
    static func stop(_ servers: [LocalRedisServer]) async {
        await ConcurrentLifecycle.stop(servers) { await $0.stop() }
    }

    /// Runs redis-cli and turns every unsuccessful ending into ``LocalRedisClusterError/redisCLIFailed(command:reason:output:)``.
    static func runRedisCLI(
        _ executable: String,
        _ arguments: [String],
        timeout: Duration
    ) async throws(LocalRedisClusterError) -> String {
        let command = RedisCLIProcess.commandLine(executable: executable, arguments: arguments)
        switch await RedisCLIProcess.run(executable: executable, arguments: arguments, timeout: timeout) {
        case .notStarted(let reason):
            throw .redisCLIFailed(command: command, reason: "could not be started: \(reason)", output: "")
        case .finished(_, let output, true, _):
            throw .redisCLIFailed(command: command, reason: "did not finish within \(timeout) and was killed", output: output)
        case .finished(_, let output, _, true):
            throw .redisCLIFailed(command: command, reason: "was killed because the task was cancelled", output: output)
        case .finished(let status, let output, _, _) where status != 0:
            throw .redisCLIFailed(command: command, reason: "exited with status \(status)", output: output)
        case .finished(_, let output, _, _):
            return output
        }
    }
}
