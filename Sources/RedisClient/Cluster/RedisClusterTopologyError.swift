/// Why a `CLUSTER SHARDS` or `CLUSTER SLOTS` reply, or a list of shards, could not be made into a
/// ``RedisClusterTopology``.
public struct RedisClusterTopologyError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What was being read: `CLUSTER SHARDS`, `CLUSTER SLOTS`, or `shards` for ``RedisClusterTopology/init(shards:)``.
    public let source: String
    /// What was wrong, naming the shard, entry or node and the field, such as
    /// `shard 2, node 1: "port" is "abc", not a port number`.
    public let reason: String
    /// The server's error when the reply was an error reply rather than a topology; a Redis 6 server answers
    /// `CLUSTER SHARDS` with `ERR unknown subcommand`, a server without cluster support with
    /// `ERR This instance has cluster support disabled`.
    public let serverError: RedisServerError?

    /// Creates an error for a reply (or list of shards) read from `source`.
    public init(source: String, reason: String, serverError: RedisServerError? = nil) {
        self.source = source
        self.reason = reason
        self.serverError = serverError
    }

    /// `invalid <source> reply: <reason>`, or for a list of shards, `invalid shards: <reason>`.
    public var description: String {
        source == "shards" ? "invalid shards: \(reason)" : "invalid \(source) reply: \(reason)"
    }
}
