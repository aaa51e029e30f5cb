import Detection
import RESP
import RedisClient

/// Where a feed's commands go: one server's connection, or a Redis Cluster client (run by the caller).
///
/// The single-server case keeps a plain ``RedisConnection``, so the feeder's pipelines go out as they are
/// encoded; the cluster case routes every command by the key it names.
enum FeedTransport: Sendable {
    case server(RedisConnection)
    case cluster(RedisClusterClient)

    /// Runs `command` where `key` lives; an error reply is thrown as ``RedisError/server(_:)``.
    func send(_ command: RESPCommand, key: String) async throws -> RESPToken {
        switch self {
        case .server(let connection): try await connection.send(command)
        case .cluster(let client): try await client.send(command, key: key)
        }
    }

    /// The queue's length: `LLEN` of every shard, summed (one pipeline per node).
    func queueLength(of shards: QueueShards) async throws -> Int {
        switch self {
        case .server(let connection):
            return try await connection.queueLength(of: shards)
        case .cluster(let client):
            return try QueueShards.totalLength(
                try await client.pipeline(shards.keys.map { (key: $0, command: RESPCommand("LLEN", $0)) }))
        }
    }

    /// Closes the server connection at once; a cluster client stops when the task running it is cancelled.
    func closeNow() async {
        if case .server(let connection) = self { await connection.closeNow() }
    }

    /// Closes the server connection after its replies are in.
    func close() async {
        if case .server(let connection) = self { await connection.close() }
    }

    /// "host:port" of the master serving `key` as far as the client knows, for messages; nil for a server.
    func nodeDescription(forKey key: String) -> String? {
        guard case .cluster(let client) = self else { return nil }
        guard let node = client.topology?.node(forSlot: RedisHashSlot(key: key)) else { return "unknown node" }
        return "\(node.host):\(node.port)"
    }
}
