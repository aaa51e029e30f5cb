import RESP

extension RedisClusterClient {
    /// Runs a blocking command (`BLMOVE`, `BLMPOP` on keys of `slot`) on the master of `slot`.
    ///
    /// It runs on that master's one connection, which it holds for up to `blockFor`; give blocking commands a
    /// client of their own. Error replies are thrown as ``RedisError/server(_:)``; `MOVED`, `ASK` and `CLUSTERDOWN`
    /// also ask for a refresh of the slot map: a blocking command is not redirected, the caller tries again.
    public func sendBlocking(_ command: RESPCommand, slot: RedisHashSlot, blockFor: Duration) async throws -> RESPToken {
        let topology = try await waitForTopology()
        guard let master = topology.node(forSlot: slot) else {
            requestTopologyRefresh()
            throw RedisClusterError.slotNotServed(slot)
        }
        let reply: RESPToken
        do {
            reply = try await nodeClient(for: address(of: master)).client.sendBlocking(command, blockFor: blockFor)
        } catch {
            if !Task.isCancelled { requestTopologyRefresh() }
            throw error
        }
        if let error = reply.serverError {
            if RedisRedirection(error) != nil || error.code == "CLUSTERDOWN" { requestTopologyRefresh() }
            throw RedisError.server(error)
        }
        return reply
    }

    /// Runs `command` on every master of the slot map and returns their replies, for `SCRIPT LOAD` and the like.
    ///
    /// Throws the first failure; the masters asked before it have run the command.
    public func sendToEveryMaster(_ command: RESPCommand, timeout: Duration? = nil) async throws -> [RESPToken] {
        let topology = try await waitForTopology()
        var replies: [RESPToken] = []
        for master in topology.masters {
            do {
                replies.append(try await nodeClient(for: address(of: master)).client.send(command, timeout: timeout))
            } catch let error as RedisError {
                if case .server = error {} else if !Task.isCancelled { requestTopologyRefresh() }
                throw error
            }
        }
        return replies
    }

    /// The state of the connections as one: `ready` once the slot map is known and no master's connection is
    /// down; otherwise the state of the first master connection that is not ready.
    public var connectionState: RedisConnectionState {
        let (topology, nodes, isShutdown, lastError) = shared.withLock {
            ($0.topology, $0.nodes, $0.isShutdown, $0.lastRefreshError)
        }
        if isShutdown { return .shutdown }
        guard let topology else {
            return lastError.map { .backingOff(attempt: 1, delay: failedRefreshDelay, lastError: $0) }
                ?? .connecting(attempt: 1)
        }
        for master in topology.masters {
            guard let entry = nodes[address(of: master)] else { continue }
            let state = entry.client.state
            if state != .ready && state != .idle { return state }
        }
        return .ready
    }

    /// How many connections the node clients have established so far, together.
    public var connectionCount: Int {
        shared.withLock { $0.nodes.values.reduce(0) { $0 + $1.client.connectionCount } }
    }

    /// Makes every node client fail commands at once while it has no connection; see
    /// ``RedisServerClient/stopWaitingForConnection()``.
    public func stopWaitingForConnection() {
        let entries = shared.withLock { Array($0.nodes.values) }
        for entry in entries { entry.client.stopWaitingForConnection() }
    }
}
