/// One server of a Redis Cluster as `CLUSTER SHARDS` or `CLUSTER SLOTS` describes it: where to reach it, its node
/// id, and whether it is a master or a replica.
public struct RedisClusterNode: Sendable, Hashable, CustomStringConvertible {
    /// Whether a node serves writes for its slots or copies a master.
    public enum Role: String, Sendable, Hashable {
        /// Serves reads and writes for its slots (`master` in both replies).
        case master
        /// Copies a master; serves reads only after `READONLY` (`replica`, or `slave` from older servers).
        case replica
    }

    /// How the cluster sees a node, as `CLUSTER SHARDS` reports it.
    public enum Health: String, Sendable, Hashable {
        /// Reachable and serving.
        case online
        /// Marked failed by the cluster (Redis 7.0 sends `fail`, its documentation says `failed`; both are read).
        case failed
        /// Reachable but still loading its data set.
        case loading
    }

    /// The 40-character node id; empty only when a `CLUSTER SLOTS` reply from a server older than Redis 4 leaves it
    /// out.
    public var id: String
    /// The host to connect to: the node's preferred endpoint (an IP address or a host name, following the
    /// cluster's `cluster-preferred-endpoint-type`), else its IP address.
    ///
    /// Empty when the cluster's preferred endpoint type is `unknown-endpoint`: Redis then means "the host you sent
    /// the command to", as in a `MOVED 3999 :6380` redirection; see ``RedisRedirection/resolved(answeringHost:)``.
    public var host: String
    /// The port to connect to.
    ///
    /// From `CLUSTER SHARDS`, the plain-text port, or the TLS port when the node reports only that. From
    /// `CLUSTER SLOTS`, the port for the kind of connection the asking client used (Redis answers a TLS client
    /// with TLS ports).
    public var port: Int
    /// The node's TLS port, when `CLUSTER SHARDS` reports one; nil from `CLUSTER SLOTS`, which gives one port only.
    public var tlsPort: Int?
    /// The node's IP address as the cluster knows it, when the reply gives it.
    public var ip: String?
    /// The node's announced host name (`cluster-announce-hostname`), when it has one.
    public var hostname: String?
    /// Whether the node is the master of its slots or one of its replicas.
    public var role: Role
    /// The node's health; nil from `CLUSTER SLOTS`, which does not report it, and for a value this client does not
    /// know.
    public var health: Health?
    /// How far the node's replication stream has got, when `CLUSTER SHARDS` reports it.
    public var replicationOffset: Int64?

    /// Creates a node description from its parts.
    public init(
        id: String, host: String, port: Int, tlsPort: Int? = nil, ip: String? = nil, hostname: String? = nil,
        role: Role, health: Health? = nil, replicationOffset: Int64? = nil
    ) {
        self.id = id
        self.host = host
        self.port = port
        self.tlsPort = tlsPort
        self.ip = ip
        self.hostname = hostname
        self.role = role
        self.health = health
        self.replicationOffset = replicationOffset
    }

    /// Whether the node is known to be serving: its health is ``Health/online``.
    ///
    /// A node whose health was not reported (any node from `CLUSTER SLOTS`) counts as not known to be serving.
    public var isOnline: Bool { health == .online }

    /// `host:port` (IPv6 hosts in brackets), the role, and the health when known, for logs.
    public var description: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "\(shownHost):\(port) \(role.rawValue)" + (health.map { " \($0.rawValue)" } ?? "")
            + (id.isEmpty ? "" : " \(id)")
    }
}
