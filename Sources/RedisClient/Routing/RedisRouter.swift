import Logging
import NIOCore
import NIOPosix
import RESP

/// Runs commands on the Redis that holds their keys: the one server, or in a Redis Cluster the master of each key's
/// hash slot.
///
/// Code that must work with both names the key of every command (``RedisRoutedCommand``) and runs it here; with a
/// single server the key is ignored and nothing is hashed on the hot path that matters. Callers never learn which
/// of the two it is: where a single server allows a faster path (chunked script calls), the router offers the
/// operation itself (``evaluateChunked(_:units:chunkSize:timeout:key:encode:)``). Commands on several keys must use
/// keys of one slot (hash tags) to work on a cluster.
public final class RedisRouter: Sendable {
    /// Where commands go.
    public enum Backend: Sendable {
        /// One server (or a primary behind a fixed address).
        case server(RedisServerClient)
        /// A Redis Cluster.
        case cluster(RedisClusterClient)
    }

    /// Where commands go; kept inside the module, so that no caller branches on it.
    let backend: Backend
    /// The library whose functions run this router's scripts with `FCALL`; nil runs them with `EVALSHA`.
    public let functions: RedisFunctionLibrary?

    /// Wraps a client of either kind; `functions` is the library to call scripts in, nil for `EVALSHA`.
    public init(_ backend: Backend, functions: RedisFunctionLibrary? = nil) {
        self.backend = backend
        self.functions = functions
    }

    /// A router for one server at `endpoint`, or for the cluster `clusterSeeds` name when there are any.
    public convenience init(
        endpoint: RedisEndpoint, clusterSeeds: [RedisEndpoint]?, configuration: RedisConnectionConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger,
        functions: RedisFunctionLibrary? = nil
    ) {
        if let clusterSeeds, !clusterSeeds.isEmpty {
            self.init(
                .cluster(
                    RedisClusterClient(
                        seeds: clusterSeeds, configuration: configuration, eventLoopGroup: eventLoopGroup,
                        logger: logger)),
                functions: functions)
        } else {
            self.init(
                .server(
                    RedisServerClient(
                        endpoint: endpoint, configuration: configuration, eventLoopGroup: eventLoopGroup,
                        logger: logger)),
                functions: functions)
        }
    }

    /// Whether commands go to a Redis Cluster.
    public var isCluster: Bool {
        if case .cluster = backend { return true }
        return false
    }

    /// Keeps the connections up until the calling task is cancelled; see ``RedisServerClient/run()`` and
    /// ``RedisClusterClient/run()``.
    public func run() async throws {
        switch backend {
        case .server(let client): try await client.run()
        case .cluster(let client): try await client.run()
        }
    }

    /// The connection state, for status lines and health checks.
    public var state: RedisConnectionState {
        switch backend {
        case .server(let client): client.state
        case .cluster(let client): client.connectionState
        }
    }

    /// The connection settings of the server's client or of every cluster node's.
    public var configuration: RedisConnectionConfiguration {
        switch backend {
        case .server(let client): client.configuration
        case .cluster(let client): client.configuration
        }
    }

    /// How many connections were established so far, over all nodes of a cluster; see
    /// ``RedisServerClient/connectionCount``.
    public var connectionCount: Int {
        switch backend {
        case .server(let client): client.connectionCount
        case .cluster(let client): client.connectionCount
        }
    }

    /// See ``RedisServerClient/stopWaitingForConnection()``.
    public func stopWaitingForConnection() {
        switch backend {
        case .server(let client): client.stopWaitingForConnection()
        case .cluster(let client): client.stopWaitingForConnection()
        }
    }

    /// Runs `command` where `key` lives; an error reply is thrown as ``RedisError/server(_:)``.
    public func send(_ command: RESPCommand, key: String, timeout: Duration? = nil) async throws -> RESPToken {
        switch backend {
        case .server(let client): try await client.send(command, timeout: timeout).throwingServerError()
        case .cluster(let client): try await client.send(command, key: key, timeout: timeout)
        }
    }

    /// Runs `command` where `slot` lives; an error reply is thrown as ``RedisError/server(_:)``.
    public func send(_ command: RESPCommand, slot: RedisHashSlot, timeout: Duration? = nil) async throws -> RESPToken {
        switch backend {
        case .server(let client): try await client.send(command, timeout: timeout).throwingServerError()
        case .cluster(let client): try await client.send(command, slot: slot, timeout: timeout)
        }
    }

    /// Runs a keyless command (`PING`, `PUBLISH`, `INFO`): on the server, or on one master of a cluster.
    public func sendToAnyNode(_ command: RESPCommand, timeout: Duration? = nil) async throws -> RESPToken {
        switch backend {
        case .server(let client): try await client.send(command, timeout: timeout).throwingServerError()
        case .cluster(let client): try await client.sendToAnyMaster(command, timeout: timeout)
        }
    }

    /// Runs a blocking command on keys that live where `key` does; see ``RedisServerClient/sendBlocking(_:blockFor:)``
    /// and ``RedisClusterClient/sendBlocking(_:slot:blockFor:)``. An error reply is thrown as
    /// ``RedisError/server(_:)``.
    public func sendBlocking(_ command: RESPCommand, key: String, blockFor: Duration) async throws -> RESPToken {
        switch backend {
        case .server(let client):
            try await client.sendBlocking(command, blockFor: blockFor).throwingServerError()
        case .cluster(let client):
            try await client.sendBlocking(command, slot: RedisHashSlot(key: key), blockFor: blockFor)
                .throwingServerError()
        }
    }

    /// Runs `commands` and returns their replies in order; error replies are returned as tokens.
    ///
    /// On one server they are one pipeline. On a cluster they are split by node and sent concurrently, so
    /// commands for different nodes have no order among them; see ``RedisClusterClient/pipeline(_:timeout:)``.
    public func pipeline(_ commands: [RedisRoutedCommand], timeout: Duration? = nil) async throws -> [RESPToken] {
        guard !commands.isEmpty else { return [] }
        switch backend {
        case .server(let client):
            var encoder = RESPCommandEncoder()
            for routed in commands { encoder.append(routed.command) }
            return try await client.pipeline(encoder, timeout: timeout)
        case .cluster(let client):
            return try await client.execute(commands.map { ($0.slot, $0.command) }, timeout: timeout)
        }
    }

    /// Sends `commands` as one pipeline on a single server and returns the replies in order (error replies as
    /// tokens); returns nil without sending anything on a cluster.
    ///
    /// The fast path only one server allows: commands on keys of any slots together, `MULTI`/`EXEC` blocks
    /// included (a pipeline goes out in one piece, so no other command of the connection lands inside a block).
    /// A caller with a cluster takes a path of its own.
    public func pipelineOnSingleServer(
        _ commands: RESPCommandEncoder, timeout: Duration? = nil
    ) async throws -> [RESPToken]? {
        guard case .server(let client) = backend else { return nil }
        return try await client.pipeline(commands, timeout: timeout)
    }

    /// Loads `script` where it will run: on the server, or on every master of a cluster (a promoted replica
    /// has no scripts of its own, and `NOSCRIPT` brings the script back there).
    @discardableResult
    public func load(_ script: RedisScript) async throws -> String {
        switch backend {
        case .server(let client):
            return try await script.load(on: client)
        case .cluster(let client):
            let replies = try await client.sendToEveryMaster(RESPCommand("SCRIPT", "LOAD", script.source))
            guard let sha = replies.first?.string else {
                throw RedisError.unexpectedReply(command: "SCRIPT LOAD", reply: replies.first?.description ?? "none")
            }
            script.remember(sha1: sha)
            return sha
        }
    }

    /// Runs `script` on `keys` (all of one slot) with `FCALL` when it is one of ``functions``, else with
    /// `EVALSHA`, loading it first if needed and again after `NOSCRIPT`; an error reply is thrown as
    /// ``RedisError/server(_:)``.
    public func evaluate(_ script: RedisScript, keys: [String], arguments: [String] = []) async throws -> RESPToken {
        let slot = keys.first.map { RedisHashSlot(key: $0) } ?? RedisHashSlot(rawValue: 0)!
        if let name = functions?.functionName(of: script) {
            return try await send(RESPCommand(RedisScriptCall.fcall(name), keys.count, keys, arguments), slot: slot)
        }
        return try await script.withDigest(load: { try await load(script) }) { sha in
            try await send(RESPCommand("EVALSHA", sha, keys.count, keys, arguments), slot: slot)
        }
    }

    /// Runs `count` calls of `script`, call `index` built by `call(index, head)` after `head` (`FCALL <function>`
    /// or `EVALSHA <sha1>`, as in ``evaluate(_:keys:arguments:)``), and returns the replies in order (error replies
    /// as tokens). Calls answered `NOSCRIPT` did not run and are sent again after loading the script.
    public func evaluatePipelined(
        _ script: RedisScript, count: Int, timeout: Duration? = nil,
        call: (_ index: Int, _ head: RedisScriptCall) -> RedisRoutedCommand
    ) async throws -> [RESPToken] {
        guard count > 0 else { return [] }
        if let name = functions?.functionName(of: script) {
            return try await pipeline((0..<count).map { call($0, .fcall(name)) }, timeout: timeout)
        }
        return try await script.withDigestPipelined(count: count, load: { try await load(script) }) { indices, sha in
            let calls = indices.map { $0.map { call($0, .evalsha(sha)) } } ?? (0..<count).map { call($0, .evalsha(sha)) }
            return try await pipeline(calls, timeout: timeout)
        }
    }

    /// Runs `script` over `units` units and returns the replies in call order (error replies as tokens) and how
    /// many units each call took: ``chunkSize`` on one server, 1 on a cluster.
    ///
    /// On one server the calls take `chunkSize` units each and go as one pipeline. A Redis Cluster runs a script
    /// only on keys of one slot, and units' keys are spread over all slots, so there each unit gets a call of its
    /// own, routed by `key(unit)` to its master; the calls still go as one pipeline per node. `encode` appends
    /// call `call` for `units` after `head`; `routingKey` is the unit's key on a cluster (computed once, for the
    /// caller to reuse) and nil on one server. Calls answered `NOSCRIPT` are sent again after loading the script.
    public func evaluateChunked(
        _ script: RedisScript, units: Int, chunkSize: Int, timeout: Duration? = nil,
        key: (_ unit: Int) -> String,
        encode: (
            _ call: Int, _ units: Range<Int>, _ routingKey: String?, _ head: RedisScriptCall,
            _ encoder: inout RESPCommandEncoder
        ) -> Void
    ) async throws -> (replies: [RESPToken], unitsPerCall: Int) {
        switch backend {
        case .server(let server):
            let calls = (units + chunkSize - 1) / chunkSize
            let replies = try await server.evaluatePipelined(
                script, count: calls, functions: functions, timeout: timeout
            ) { index, head, encoder in
                encode(index, index * chunkSize..<min((index + 1) * chunkSize, units), nil, head, &encoder)
            }
            return (replies, chunkSize)
        case .cluster:
            var encoder = RESPCommandEncoder()
            let replies = try await evaluatePipelined(script, count: units, timeout: timeout) { index, head in
                encoder.reset()
                let routingKey = key(index)
                encode(index, index..<index + 1, routingKey, head, &encoder)
                return RedisRoutedCommand(RESPCommand(encoded: encoder.buffer), key: routingKey)
            }
            return (replies, 1)
        }
    }

    /// Loads `library` with `FUNCTION LOAD REPLACE` on the server, or on every master of a cluster (replicas get
    /// it from their master); loading the same library again changes nothing. Returns the nodes' replies.
    @discardableResult
    public func installFunctions(_ library: RedisFunctionLibrary) async throws -> [RESPToken] {
        let command = RESPCommand("FUNCTION", "LOAD", "REPLACE", library.source)
        switch backend {
        case .server(let client): return [try await client.send(command).throwingServerError()]
        case .cluster(let client): return try await client.sendToEveryMaster(command).map { try $0.throwingServerError() }
        }
    }

    /// Throws ``RedisFunctionsMissingError`` unless ``functions`` is loaded on the server, or on every master of a
    /// cluster; does nothing when scripts run with `EVALSHA`.
    public func checkFunctionsInstalled() async throws {
        guard let library = functions else { return }
        let command = RESPCommand("FCALL", library.versionFunctionName, 0)
        let replies: [RESPToken]
        do {
            switch backend {
            case .server(let client): replies = [try await client.send(command).throwingServerError()]
            case .cluster(let client): replies = try await client.sendToEveryMaster(command)
            }
        } catch RedisError.server(let error) where error.message.contains("not found") {
            throw RedisFunctionsMissingError(libraryName: library.libraryName, reply: error.message)
        }
        for reply in replies {
            if let error = reply.serverError, error.message.contains("not found") {
                throw RedisFunctionsMissingError(libraryName: library.libraryName, reply: error.message)
            }
            _ = try reply.throwingServerError()
        }
    }
}
