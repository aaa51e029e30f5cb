import LocalRedis

/// A failover as the sentinels announced it: a replica promoted, then `+switch-master` from the old master to it.
public struct SentinelSwitch: Sendable {
    /// The port of the master that was failed over.
    public let oldPort: Int
    /// The port of the promoted replica.
    public let newPort: Int
    /// The promoted replica, now the master.
    public let newMaster: LocalRedisServer
    /// When the first `+switch-master` for this failover arrived here, from whichever sentinel published it first.
    ///
    /// That is usually not the leader of the failover: at `+promoted-slave` the leader tells the others its new
    /// configuration at once, and they switch on receiving it, some 50 ms later on loopback; the leader itself
    /// announces `+switch-master` only once every other replica follows the new master, about a second after.
    public let switchedAt: ContinuousClock.Instant
    /// The port of the sentinel whose `+switch-master` arrived first.
    public let announcedBy: Int
    /// When the leader's `+promoted-slave` for this replica arrived here, or nil when it was not watched.
    ///
    /// From then on the leader answers `SENTINEL GET-MASTER-ADDR-BY-NAME` with the new master, shortly before any
    /// `+switch-master`: a client that asked the leader may reach the new master before ``switchedAt``. The replica
    /// itself took writes even earlier, from the leader's `REPLICAOF NO ONE` (`+failover-state-wait-promotion`),
    /// since Sentinel notices the promotion only in the replica's next `INFO`, up to a second later.
    public let promotedAt: ContinuousClock.Instant?
}
