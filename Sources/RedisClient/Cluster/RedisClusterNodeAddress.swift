/// Where a cluster node takes commands: the key of a ``RedisClusterClient``'s per-node clients.
struct RedisClusterNodeAddress: Sendable, Hashable, CustomStringConvertible {
    /// Host name or IP address, never empty (an empty host from the cluster is replaced by the asked host).
    var host: String
    /// The port for the kind of connection the client uses (TLS or plain).
    var port: Int

    var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
