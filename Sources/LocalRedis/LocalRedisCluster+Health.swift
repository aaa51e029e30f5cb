extension LocalRedisCluster {
    /// The number of hash slots of every Redis Cluster.
    public static let slotCount = 16384

    private static let healthPollInterval: Duration = .milliseconds(50)

    /// Waits until the running nodes agree that the cluster is whole, or fails after `timeout`.
    ///
    /// Nodes stopped by ``kill(_:)`` are left out; every running node must report `cluster_state:ok`, all 16384
    /// slots assigned and every node of the cluster known, and in its `CLUSTER NODES` view see exactly
    /// ``masterCount`` masters serving all slots, all of them running, and no running node flagged as failing.
    /// Every running node must be such a master or a replica whose link to its master is up. So after killing a
    /// master this returns once its replica has been promoted and everyone knows, and after ``restart(_:)`` once the
    /// node is back in. Polls every 50 ms. Fails with ``LocalRedisClusterError/notHealthy(_:)`` naming the last unmet
    /// condition and showing one node's `CLUSTER NODES`, also when the task is cancelled.
    public func waitUntilHealthy(timeout: Duration = .seconds(15)) async throws(LocalRedisClusterError) {
        try await Self.waitUntilHealthy(
            servers: nodes.map(\.server),
            masterCount: masterCount,
            timeout: timeout,
            context: nil
        )
    }

    /// The polling loop behind ``waitUntilHealthy(timeout:)``; `context` is appended to the error (redis-cli's output at creation).
    static func waitUntilHealthy(
        servers: [LocalRedisServer],
        masterCount: Int,
        timeout: Duration,
        context: String?
    ) async throws(LocalRedisClusterError) {
        let failure = await HealthPolling.failure(
            timeout: timeout,
            interval: healthPollInterval,
            problem: { healthProblem(servers: servers, masterCount: masterCount) },
            view: { clusterNodesView(servers: servers) },
            context: context
        )
        if let failure {
            throw .notHealthy(failure)
        }
    }

    /// The first unmet condition of ``waitUntilHealthy(timeout:)``, or nil when the cluster is healthy.
    static func healthProblem(servers: [LocalRedisServer], masterCount: Int) -> String? {
        let running = servers.filter(\.isRunning).compactMap(\.port)
        guard !running.isEmpty else { return "no node is running" }
        let runningPorts = Set(running)
        for port in running {
            let name = "127.0.0.1:\(port)"
            let probe = RedisCommandProbe(port: port)
            guard case .text(let info) = probe.send(["CLUSTER", "INFO"]) else {
                return "\(name) does not answer CLUSTER INFO"
            }
            let state = RedisCommandProbe.infoField("cluster_state", in: info) ?? "?"
            guard state == "ok" else { return "\(name) reports cluster_state:\(state)" }
            let assigned = RedisCommandProbe.infoField("cluster_slots_assigned", in: info) ?? "?"
            guard assigned == String(slotCount) else { return "\(name) reports cluster_slots_assigned:\(assigned)" }
            let known = RedisCommandProbe.infoField("cluster_known_nodes", in: info) ?? "?"
            guard known == String(servers.count) else {
                return "\(name) reports cluster_known_nodes:\(known), expected \(servers.count)"
            }

            guard case .text(let nodesReply) = probe.send(["CLUSTER", "NODES"]) else {
                return "\(name) does not answer CLUSTER NODES"
            }
            let entries = ClusterNodesEntry.parse(nodesReply)
            if let failing = entries.first(where: { runningPorts.contains($0.port) && $0.isFailing }) {
                return "\(name) sees running node 127.0.0.1:\(failing.port) as failing (\(failing.flags.sorted().joined(separator: ",")))"
            }
            let owners = entries.filter { !$0.isReplica && $0.slotCount > 0 }
            let ownedSlots = owners.reduce(0) { $0 + $1.slotCount }
            guard owners.count == masterCount, ownedSlots == slotCount else {
                return "\(name) sees \(owners.count) masters serving \(ownedSlots) slots, expected \(masterCount) serving \(slotCount)"
            }
            if let stale = owners.first(where: { !runningPorts.contains($0.port) }) {
                return "\(name) still has stopped node 127.0.0.1:\(stale.port) serving slots"
            }
            guard let me = entries.first(where: \.isMyself) else {
                return "\(name) does not list itself in CLUSTER NODES"
            }
            if me.isReplica {
                guard case .text(let replication) = probe.send(["INFO", "replication"]) else {
                    return "\(name) does not answer INFO replication"
                }
                let link = RedisCommandProbe.infoField("master_link_status", in: replication) ?? "?"
                guard link == "up" else { return "replica \(name) reports master_link_status:\(link)" }
            } else if me.slotCount == 0 {
                return "\(name) is a master without slots, not yet a replica"
            }
        }
        return nil
    }

    /// `CLUSTER NODES` as seen by the first running node that answers, for error messages.
    private static func clusterNodesView(servers: [LocalRedisServer]) -> String? {
        for server in servers where server.isRunning {
            guard let port = server.port,
                  case .text(let reply) = RedisCommandProbe(port: port).send(["CLUSTER", "NODES"])
            else { continue }
            return "CLUSTER NODES as seen by 127.0.0.1:\(port):\n\(reply.trimmingCharacters(in: .whitespacesAndNewlines))"
        }
        return nil
    }
}
