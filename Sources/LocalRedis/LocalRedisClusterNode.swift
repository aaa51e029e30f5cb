/// One node of a ``LocalRedisCluster``: its address, its node ID, the role it was created with, and its server.
///
/// The role, master and slots are those the cluster had when ``LocalRedisCluster/start(masters:replicasPerMaster:nodeTimeout:)``
/// returned; they are not updated after a failover. Ask ``LocalRedisCluster/currentRole(of:)`` for the role now.
public struct LocalRedisClusterNode: Sendable, Identifiable, CustomStringConvertible {
    /// What a node did in the cluster when it was created.
    public enum Role: String, Sendable, Hashable {
        /// Serves slots.
        case master
        /// Replicates a master and takes over its slots if the master fails.
        case replica
    }

    /// Position in ``LocalRedisCluster/nodes``, which is also the order the addresses were given to redis-cli.
    public let index: Int
    /// The 40-character node ID the cluster knows this node by.
    public let id: String
    /// Always `127.0.0.1`: nodes listen on loopback only.
    public let host: String
    /// Client port; the cluster bus listens on `port + 10000` (``busPort``).
    public let port: Int
    /// The role at creation.
    public let role: Role
    /// For a replica, the node ID of the master it was attached to at creation; nil for a master.
    public let masterID: String?
    /// For a master, the slot ranges it served at creation; empty for a replica.
    public let slots: [ClosedRange<Int>]
    /// The redis-server process behind the node. Prefer ``LocalRedisCluster/kill(_:)`` and
    /// ``LocalRedisCluster/restart(_:)`` to calling its lifecycle methods directly.
    public let server: LocalRedisServer

    /// The cluster bus port, `port + 10000`, on which nodes talk to each other.
    public var busPort: Int { port + LoopbackPorts.clusterBusOffset }

    /// `host:port`, the form redis-cli's `--cluster` commands and `MOVED` replies use.
    public var address: String { "\(host):\(port)" }

    /// `redis://127.0.0.1:PORT`, without credentials (the nodes have none).
    public var url: String { "redis://\(host):\(port)" }

    /// A short description such as `master 127.0.0.1:41234 (3c3a…)`, for test output.
    public var description: String { "\(role.rawValue) \(address) (\(id.prefix(8)))" }
}
