import NIOCore
import RESP

extension RedisClusterClient {
    /// One command on its way: where it goes next and how it got there.
    struct PendingCommand {
        /// Its position in the caller's list.
        var index: Int
        var slot: RedisHashSlot
        var command: RESPCommand
        /// Where to send it; nil to look the slot's master up in the slot map.
        var target: RedisClusterNodeAddress?
        /// Whether `ASKING` goes first (after an `ASK` redirection).
        var asking = false
        var redirections = 0
        var transientRetries = 0
    }

    /// What to do with one reply.
    enum ReplyAction {
        case done
        case redirect(RedisRedirection)
        case retryLater(RedisServerError)
    }

    /// The codes of error replies that are retried after a pause.
    static let retriedCodes: Set<String> = ["TRYAGAIN", "CLUSTERDOWN"]

    static func action(for reply: RESPToken, transientRetries: Int) -> ReplyAction {
        guard let error = reply.withoutAttributes.serverError else { return .done }
        if let redirection = RedisRedirection(error) { return .redirect(redirection) }
        if retriedCodes.contains(error.code), transientRetries < maximumTransientRetries { return .retryLater(error) }
        return .done
    }

    /// Runs the commands on their slots' masters in rounds: each round sends every node its share as one pipeline,
    /// concurrently, and the next round resends the redirected and retried commands.
    func execute(_ commands: [(slot: RedisHashSlot, command: RESPCommand)], timeout: Duration?) async throws
        -> [RESPToken]
    {
        guard !commands.isEmpty else { return [] }
        var results = [RESPToken?](repeating: nil, count: commands.count)
        var pending = commands.enumerated().map { PendingCommand(index: $0.offset, slot: $0.element.slot, command: $0.element.command) }
        var topology = try await waitForTopology()
        while !pending.isEmpty {
            for position in pending.indices where pending[position].target == nil {
                guard let master = topology.node(forSlot: pending[position].slot) else {
                    requestTopologyRefresh()
                    throw RedisClusterError.slotNotServed(pending[position].slot)
                }
                pending[position].target = address(of: master)
            }
            let groups = RedisClusterBatch.split(pending.map { $0.target! })
            let outcomes = try await sendRound(groups, pending, timeout: timeout)

            var next: [PendingCommand] = []
            var pause = 0
            var sawMoved = false
            for (group, outcome) in zip(groups, outcomes) {
                guard let replies = outcome else {
                    // The node's client was retired before anything was written: route these again.
                    for position in group.positions {
                        var command = pending[position]
                        command.redirections += 1
                        guard command.redirections <= Self.maximumRedirections else {
                            throw RedisError.shutdown
                        }
                        command.target = nil
                        command.asking = false
                        next.append(command)
                    }
                    continue
                }
                for (position, reply) in zip(group.positions, replies) {
                    var command = pending[position]
                    switch Self.action(for: reply, transientRetries: command.transientRetries) {
                    case .done:
                        results[command.index] = reply
                    case .redirect(let redirection):
                        let redirection = redirection.resolved(answeringHost: group.target.host)
                        command.redirections += 1
                        guard command.redirections <= Self.maximumRedirections else {
                            requestTopologyRefresh()
                            throw RedisClusterError.tooManyRedirections(command: command.command.name, last: redirection)
                        }
                        if redirection.isAsk {
                            shared.withLock { $0.askCount += 1 }
                        } else {
                            shared.withLock { $0.movedCount += 1 }
                            sawMoved = true
                        }
                        command.target = RedisClusterNodeAddress(host: redirection.host, port: redirection.port)
                        command.asking = redirection.isAsk
                        next.append(command)
                    case .retryLater(let error):
                        command.transientRetries += 1
                        pause = max(pause, command.transientRetries)
                        if error.code == "CLUSTERDOWN" { requestTopologyRefresh() }
                        command.target = nil
                        command.asking = false
                        next.append(command)
                    }
                }
            }
            if sawMoved { requestTopologyRefresh() }
            if pause > 0 {
                // 50, 100, 200 ms: long enough for a migration step or a failover vote to move on.
                try await Task.sleep(for: .milliseconds(50 << (pause - 1)))
            }
            // Commands for one node keep the caller's order in the next round too.
            pending = next.sorted { $0.index < $1.index }
            if !pending.isEmpty, let current = self.topology { topology = current }
        }
        return results.map { $0! }
    }

    /// Sends each group's commands to its node as one pipeline, all groups concurrently.
    ///
    /// Returns each group's replies in order (`ASKING` replies left out), or nil for a group whose node client was
    /// retired before the pipeline was written. Any other failure asks for a refresh and is thrown, after every
    /// group has finished.
    private func sendRound(
        _ groups: [RedisClusterBatch.Group<RedisClusterNodeAddress>], _ pending: [PendingCommand],
        timeout: Duration?
    ) async throws -> [[RESPToken]?] {
        var pipelines: [(entry: NodeEntry, encoder: RESPCommandEncoder, asking: [Bool])] = []
        for group in groups {
            let entry = try nodeClient(for: group.target)
            var encoder = RESPCommandEncoder()
            var asking: [Bool] = []
            for position in group.positions {
                if pending[position].asking { encoder.append(RESPCommand("ASKING")) }
                encoder.append(pending[position].command)
                asking.append(pending[position].asking)
            }
            pipelines.append((entry, encoder, asking))
        }
        let outcomes = await withTaskGroup(of: (Int, Result<[RESPToken], any Error>).self) { group in
            for (index, pipeline) in pipelines.enumerated() {
                group.addTask {
                    do {
                        return (index, .success(try await pipeline.entry.client.pipeline(pipeline.encoder, timeout: timeout)))
                    } catch {
                        return (index, .failure(error))
                    }
                }
            }
            var outcomes = [Result<[RESPToken], any Error>?](repeating: nil, count: pipelines.count)
            for await (index, outcome) in group { outcomes[index] = outcome }
            return outcomes
        }
        var results: [[RESPToken]?] = []
        var firstError: (any Error)?
        for (pipeline, outcome) in zip(pipelines, outcomes) {
            switch outcome! {
            case .success(let replies):
                results.append(Self.droppingAskingReplies(replies, asking: pipeline.asking))
            case .failure(RedisError.shutdown) where isRetired(pipeline.entry):
                results.append(nil)
            case .failure(let error):
                if firstError == nil { firstError = error }
                results.append(nil)
            }
        }
        if let firstError {
            if !Task.isCancelled { requestTopologyRefresh() }
            throw firstError
        }
        return results
    }

    /// The commands' own replies from a pipeline in which some commands were preceded by `ASKING`.
    ///
    /// `ASKING` answers `OK`; were it to fail, its error stands in for the command's reply, since the command
    /// then ran without it and its reply is another redirection at best.
    static func droppingAskingReplies(_ replies: [RESPToken], asking: [Bool]) -> [RESPToken] {
        guard asking.contains(true) else { return replies }
        var result: [RESPToken] = []
        result.reserveCapacity(asking.count)
        var index = 0
        for asked in asking {
            if asked {
                let askingReply = replies[index]
                index += 1
                result.append(askingReply.withoutAttributes.isError ? askingReply : replies[index])
            } else {
                result.append(replies[index])
            }
            index += 1
        }
        return result
    }
}
