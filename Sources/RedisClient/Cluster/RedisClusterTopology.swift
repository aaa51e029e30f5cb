/// Which node of a Redis Cluster serves which hash slots: the shards, each a master with its replicas and the slot
/// ranges it serves.
///
/// Built from a `CLUSTER SHARDS` reply (``init(shardsReply:)``, Redis 7 and later) or a `CLUSTER SLOTS` reply
/// (``init(slotsReply:)``, older servers), in RESP2 or RESP3 form. A value, not a live view: a client refreshes it
/// by asking again, typically after a `MOVED` redirection (see ``RedisRedirection``). Two topologies are equal when
/// they describe the same shards, so a refresh that changed nothing can be recognised.
///
/// Only shards that serve at least one slot are kept; masters without slots (a new, empty node, or a failed
/// master whose replica took over) take no commands and are left out. Slots no shard serves are allowed, since a
/// cluster with an outage still serves its other slots: ``node(forSlot:)`` returns nil for them.
public struct RedisClusterTopology: Sendable, Hashable, CustomStringConvertible {
    /// The shards, sorted by their lowest slot.
    public let shards: [RedisClusterShard]
    /// Every slot range of every shard, sorted, with the index of its shard in ``shards``.
    private let routes: [Route]

    private struct Route: Sendable, Hashable {
        let range: ClosedRange<UInt16>
        let shard: Int
    }

    /// A topology of the given shards, checked: every range within 0...16383 and no slot served by two shards.
    ///
    /// Shards without slots are dropped, and the rest sorted by their lowest slot.
    public init(shards: [RedisClusterShard]) throws(RedisClusterTopologyError) {
        try self.init(shards: shards, source: "shards")
    }

    init(shards: [RedisClusterShard], source: String) throws(RedisClusterTopologyError) {
        let kept = shards.filter { !$0.slotRanges.isEmpty }
            .sorted { $0.slotRanges[0].lowerBound < $1.slotRanges[0].lowerBound }
        var routes: [Route] = []
        for (index, shard) in kept.enumerated() {
            for range in shard.slotRanges {
                guard Int(range.upperBound) < RedisHashSlot.count else {
                    throw RedisClusterTopologyError(
                        source: source,
                        reason:
                            "slot range \(range.lowerBound)-\(range.upperBound) of \(shard.master) goes past slot 16383")
                }
                routes.append(Route(range: range, shard: index))
            }
        }
        routes.sort { $0.range.lowerBound < $1.range.lowerBound }
        for (previous, next) in zip(routes, routes.dropFirst())
        where next.range.lowerBound <= previous.range.upperBound {
            let first = kept[previous.shard].master
            let second = kept[next.shard].master
            throw RedisClusterTopologyError(
                source: source, reason: "slot \(next.range.lowerBound) is served by both \(first) and \(second)")
        }
        self.shards = kept
        self.routes = routes
    }

    /// The shard serving `slot`, or nil when no shard serves it.
    public func shard(forSlot slot: RedisHashSlot) -> RedisClusterShard? {
        // The last route starting at or before the slot is the only one that can hold it.
        var low = 0
        var high = routes.count
        while low < high {
            let middle = (low + high) / 2
            if routes[middle].range.lowerBound <= slot.rawValue { low = middle + 1 } else { high = middle }
        }
        guard low > 0, routes[low - 1].range.contains(slot.rawValue) else { return nil }
        return shards[routes[low - 1].shard]
    }

    /// The master serving `slot`, where commands on its keys go; nil when no shard serves the slot.
    public func node(forSlot slot: RedisHashSlot) -> RedisClusterNode? {
        shard(forSlot: slot)?.master
    }

    /// The replicas of the master serving `slot` (empty when it has none, or no shard serves the slot),
    /// including any the cluster reports failed or loading.
    public func replicas(forSlot slot: RedisHashSlot) -> [RedisClusterNode] {
        shard(forSlot: slot)?.replicas ?? []
    }

    /// The master of every shard, in the order of ``shards``.
    public var masters: [RedisClusterNode] { shards.map(\.master) }

    /// Every master and replica, each shard's master first.
    public var nodes: [RedisClusterNode] { shards.flatMap { [$0.master] + $0.replicas } }

    /// How many of the 16384 slots some shard serves; less than 16384 while part of the cluster is down or
    /// unassigned.
    public var coveredSlotCount: Int { shards.reduce(0) { $0 + $1.slotCount } }

    /// One line per shard, as ``RedisClusterShard/description`` writes it.
    public var description: String { shards.map(\.description).joined(separator: "\n") }
}
