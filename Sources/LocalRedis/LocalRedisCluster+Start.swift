import Foundation

extension LocalRedisCluster {
    /// How long `redis-cli --cluster create` may take; it normally needs one to three seconds.
    private static let createTimeout: Duration = .seconds(30)
    /// How long a freshly created cluster may take to report healthy everywhere.
    private static let startupHealthTimeout: Duration = .seconds(15)

    /// Starts `masters × (1 + replicasPerMaster)` redis-server nodes, forms a cluster of them with redis-cli, and
    /// returns once it is healthy.
    ///
    /// Each node runs with `--cluster-enabled yes`, `nodes.conf` in its own directory, the given
    /// `--cluster-node-timeout` (rounded down to whole milliseconds) and no persistence. The cluster is created with
    /// `redis-cli --cluster create 127.0.0.1:P1 … --cluster-replicas R --cluster-yes`, which spreads the 16384 slots
    /// evenly over the masters. Returns when ``waitUntilHealthy(timeout:)`` would: every node says
    /// `cluster_state:ok`, all slots are assigned, every node knows every other and every replica's link to its
    /// master is up. Takes about two seconds, most of it redis-cli waiting for the nodes to agree.
    ///
    /// Redis refuses clusters of fewer than 3 masters; the error then carries redis-cli's explanation. Fails with
    /// ``LocalRedisClusterError/redisCLINotFound(_:)`` without redis-cli, ``LocalRedisClusterError/nodeFailed(_:)``
    /// without redis-server or when a node does not start, ``LocalRedisClusterError/redisCLIFailed(command:reason:output:)``
    /// when redis-cli fails (after 30 s at most) and ``LocalRedisClusterError/notHealthy(_:)`` when the cluster is not
    /// healthy 15 s after creation. On any failure, cancellation included, every node already started is stopped and
    /// its directory removed before the error is thrown.
    public static func start(
        masters: Int = 3,
        replicasPerMaster: Int = 0,
        nodeTimeout: Duration = .milliseconds(1000)
    ) async throws(LocalRedisClusterError) -> LocalRedisCluster {
        guard masters >= 1 else {
            throw .invalidArgument("masters must be at least 1 (Redis itself requires 3), not \(masters)")
        }
        guard replicasPerMaster >= 0 else {
            throw .invalidArgument("replicasPerMaster must not be negative, not \(replicasPerMaster)")
        }
        let components = nodeTimeout.components
        let timeoutMilliseconds = components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
        guard timeoutMilliseconds >= 1 else {
            throw .invalidArgument("nodeTimeout must be at least 1 ms, not \(nodeTimeout)")
        }
        guard let redisCLI = LocalRedisServer.executablePath(named: "redis-cli") else {
            throw .redisCLINotFound(
                "redis-cli was not found in PATH or in /usr/bin, /usr/local/bin, /usr/sbin, /opt/homebrew/bin; it is needed to create a Redis Cluster"
            )
        }

        // The defaults mean no persistence (`save ""`, no append-only file) and a unix socket, over which readiness
        // is confirmed without guessing whose server answers the TCP port.
        var options = LocalRedisServerOptions()
        options.extraArguments = [
            "--cluster-enabled", "yes",
            // Relative to the node's own directory (its `dir` and working directory).
            "--cluster-config-file", "nodes.conf",
            "--cluster-node-timeout", String(timeoutMilliseconds),
            // Replicas sync without a disk (the 7.0 default), but a master waits 5 s for more replicas to join a
            // sync by default, which would delay every replica attach and every rejoin by that much.
            "--repl-diskless-sync-delay", "0",
        ]
        let servers = try await startServers(count: masters * (1 + replicasPerMaster), options: options)
        do throws(LocalRedisClusterError) {
            let addresses = servers.map { "127.0.0.1:\($0.port ?? 0)" }
            let arguments = ["--cluster", "create"] + addresses + [
                "--cluster-replicas", String(replicasPerMaster), "--cluster-yes",
            ]
            let output = try await runRedisCLI(redisCLI, arguments, timeout: createTimeout)
            try await waitUntilHealthy(
                servers: servers,
                masterCount: masters,
                timeout: startupHealthTimeout,
                context: "`redis-cli \(arguments.joined(separator: " "))` printed:\n\(output)"
            )
            let nodes = try describe(servers)
            return LocalRedisCluster(
                nodes: nodes,
                masterCount: masters,
                replicasPerMaster: replicasPerMaster,
                nodeTimeout: nodeTimeout,
                creationOutput: output,
                redisCLIPath: redisCLI
            )
        } catch {
            await stop(servers)
            throw error
        }
    }

    /// Starts `count` nodes at the same time; if any fails, stops the others and throws the first failure.
    private static func startServers(
        count: Int,
        options: LocalRedisServerOptions
    ) async throws(LocalRedisClusterError) -> [LocalRedisServer] {
        do {
            return try await ConcurrentLifecycle.start(count: count) { _ async throws(LocalRedisError) in
                try await LocalRedisServer.start(options, reservingClusterBusPorts: true)
            } stop: { await $0.stop() }
        } catch {
            throw .nodeFailed(error)
        }
    }

    /// Reads each node's own line of `CLUSTER NODES` to learn its ID, role, master and slots.
    private static func describe(_ servers: [LocalRedisServer]) throws(LocalRedisClusterError) -> [LocalRedisClusterNode] {
        var nodes: [LocalRedisClusterNode] = []
        for (index, server) in servers.enumerated() {
            let port = server.port ?? 0
            guard case .text(let reply) = RedisCommandProbe(port: port).send(["CLUSTER", "NODES"]),
                  let me = ClusterNodesEntry.parse(reply).first(where: \.isMyself)
            else {
                throw .notHealthy("127.0.0.1:\(port) did not describe itself in CLUSTER NODES after the cluster was created")
            }
            nodes.append(LocalRedisClusterNode(
                index: index,
                id: me.id,
                host: "127.0.0.1",
                port: port,
                role: me.isReplica ? .replica : .master,
                masterID: me.masterID,
                slots: me.slots,
                server: server
            ))
        }
        return nodes
    }
}
