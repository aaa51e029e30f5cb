import Logging
import NIOCore
import RESP

extension RedisClusterClient {
    /// The slot map, waiting up to the command timeout for the first one.
    func waitForTopology() async throws -> RedisClusterTopology {
        if let immediate = shared.withLock({ $0.immediateTopology() }) { return try immediate.get() }
        return try await RedisWaiters.wait(
            on: eventLoopGroup.any(), timeout: configuration.commandTimeout,
            join: { promise in
                shared.withLock { shared in
                    // The map, or a shutdown, may have come since the look above.
                    if let immediate = shared.immediateTopology() { return .ready(immediate) }
                    return .waiting(shared.topologyWaiters.add(promise))
                }
            },
            leave: { [self] id in shared.withLock { $0.topologyWaiters.remove(id) } },
            timedOut: { [self] in
                RedisClusterError.topologyUnavailable(lastError: shared.withLock { $0.lastRefreshError })
            })
    }

    /// Refreshes whenever asked, no more often than every ``minimumRefreshSpacing``, and again after
    /// ``failedRefreshDelay`` when no node answered. Ends when cancelled.
    ///
    /// A stretch of failed refreshes is logged when it starts, changes and ends, and every 30 s between.
    func refreshLoop() async {
        var failures = ConnectionFailureReporter()
        for await _ in refreshRequests {
            let succeeded = await refreshOnce()
            if Task.isCancelled { return }
            let report =
                succeeded
                ? failures.connected(at: .now)
                : failures.failed(shared.withLock { $0.lastRefreshError } ?? "no node to ask", at: .now)
            report?.log(
                to: logger, failure: "cannot learn the Redis Cluster slot map from any node",
                recovery: "learned the Redis Cluster slot map")
            try? await Task.sleep(for: succeeded ? minimumRefreshSpacing : failedRefreshDelay)
            if !succeeded { requestTopologyRefresh() }
        }
    }

    /// Asks for a refresh every ``refreshInterval`` until cancelled.
    func refreshTicker() async {
        while true {
            do {
                try await Task.sleep(for: refreshInterval)
            } catch {
                return
            }
            requestTopologyRefresh()
        }
    }

    /// Asks the known masters, then the seeds, for the slot map until one answers; true when one did.
    ///
    /// When none does, the reasons are kept for ``refreshLoop()`` to log and for the error of a command waiting
    /// for the map.
    func refreshOnce() async -> Bool {
        var candidates: [RedisEndpoint] = []
        var seen = Set<RedisClusterNodeAddress>()
        for master in topology?.masters ?? [] {
            let address = address(of: master)
            if seen.insert(address).inserted { candidates.append(endpoint(for: address)) }
        }
        for seed in seeds {
            if case .tcp(let host, let port) = seed.address,
                !seen.insert(RedisClusterNodeAddress(host: host, port: port)).inserted
            {
                continue
            }
            candidates.append(seed)
        }
        var failures: [String] = []
        for candidate in candidates {
            if Task.isCancelled { return false }
            do {
                let topology = try await fetchTopology(from: candidate)
                apply(topology, from: candidate)
                return true
            } catch {
                failures.append("\(candidate): \(RedisConnectFailure.cause(of: error))")
            }
        }
        shared.withLock { $0.lastRefreshError = failures.joined(separator: "; ") }
        return false
    }

    /// The slot map as the node at `endpoint` sees it, over a connection of its own that is closed afterwards.
    ///
    /// A connection of its own, not the node's client: that one may be waiting out a reconnect backoff.
    func fetchTopology(from endpoint: RedisEndpoint) async throws -> RedisClusterTopology {
        let connection = try await RedisConnection.connect(
            to: endpoint, configuration: configuration, eventLoopGroup: eventLoopGroup, logger: logger)
        do {
            let topology = try await Self.topology(of: connection)
            await connection.closeNow()
            guard topology.coveredSlotCount > 0 else {
                throw RedisClusterTopologyError(source: "CLUSTER SHARDS", reason: "the node serves no slots yet")
            }
            if case .tcp(let host, _) = endpoint.address { return try Self.fillingEmptyHosts(topology, with: host) }
            return topology
        } catch {
            await connection.closeNow()
            throw error
        }
    }

    /// `CLUSTER SHARDS`, or `CLUSTER SLOTS` when the server answers the former with an error (Redis 6).
    static func topology(of connection: some RedisCommandExecutor) async throws -> RedisClusterTopology {
        let shards = try await connection.pipeline([RESPCommand("CLUSTER", "SHARDS")])[0]
        do {
            return try RedisClusterTopology(shardsReply: shards)
        } catch {
            guard error.serverError != nil else { throw error }
        }
        let slots = try await connection.pipeline([RESPCommand("CLUSTER", "SLOTS")])[0]
        return try RedisClusterTopology(slotsReply: slots)
    }

    /// The map with every empty host (Redis' "the host you asked") replaced by `host`.
    static func fillingEmptyHosts(_ topology: RedisClusterTopology, with host: String) throws -> RedisClusterTopology {
        guard topology.nodes.contains(where: { $0.host.isEmpty }) else { return topology }
        func filled(_ node: RedisClusterNode) -> RedisClusterNode {
            var node = node
            if node.host.isEmpty { node.host = host }
            return node
        }
        return try RedisClusterTopology(
            shards: topology.shards.map {
                RedisClusterShard(slotRanges: $0.slotRanges, master: filled($0.master), replicas: $0.replicas.map(filled))
            })
    }

    /// Makes `topology` the map in use, wakes the commands waiting for one, and retires the clients of nodes
    /// that are no longer in it.
    ///
    /// A node reached only through a redirection and missing from a map learnt from a node that has not heard of
    /// it yet loses its client too; the next command for it creates a new one.
    func apply(_ topology: RedisClusterTopology, from source: RedisEndpoint) {
        let known = Set(topology.nodes.map { address(of: $0) })
        let (changed, waiters, retired) = shared.withLock { shared in
            let changed = shared.topology != topology
            shared.topology = topology
            shared.refreshCount += 1
            shared.lastRefreshError = nil
            let waiters = shared.topologyWaiters.removeAll()
            let retired = shared.nodes.values.filter { !known.contains($0.address) }
            for entry in retired { shared.nodes[entry.address] = nil }
            return (changed, waiters, retired)
        }
        for entry in retired {
            logger.info("Redis Cluster node left the slot map; closing its client", metadata: ["node": "\(entry.address)"])
            entry.retire.finish()
        }
        if changed {
            logger.info(
                "Redis Cluster slot map updated",
                metadata: ["from": "\(source)", "masters": "\(topology.masters.map { address(of: $0).description })"])
        }
        for promise in waiters { promise.succeed(topology) }
    }
}
