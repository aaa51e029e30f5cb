/// The slots one master serves, the master, and its replicas.
public struct RedisClusterShard: Sendable, Hashable, CustomStringConvertible {
    /// The slot ranges this shard serves, sorted, none overlapping or adjacent to another (adjacent ranges of a
    /// reply are merged).
    public var slotRanges: [ClosedRange<UInt16>]
    /// The node commands for these slots are sent to.
    public var master: RedisClusterNode
    /// The master's replicas, in the order the reply listed them, including any the cluster reports failed or
    /// loading (see ``RedisClusterNode/health``).
    public var replicas: [RedisClusterNode]

    /// Creates a shard; the ranges are sorted and adjacent or overlapping ones merged.
    ///
    /// The ranges are not checked against 0...16383 here; ``RedisClusterTopology/init(shards:)`` checks them.
    public init(slotRanges: [ClosedRange<UInt16>], master: RedisClusterNode, replicas: [RedisClusterNode] = []) {
        self.slotRanges = Self.merged(slotRanges)
        self.master = master
        self.replicas = replicas
    }

    /// Whether `slot` is in one of the shard's ranges.
    public func contains(_ slot: RedisHashSlot) -> Bool {
        slotRanges.contains { $0.contains(slot.rawValue) }
    }

    /// How many slots the shard serves.
    public var slotCount: Int {
        slotRanges.reduce(0) { $0 + $1.count }
    }

    /// The ranges as Redis writes them (`0-5460 10923-10932`), then the master and its replicas.
    public var description: String {
        let ranges = slotRanges.map {
            $0.lowerBound == $0.upperBound ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)"
        }
        return ranges.joined(separator: " ") + ": " + ([master] + replicas).map(\.description).joined(separator: ", ")
    }

    static func merged(_ ranges: [ClosedRange<UInt16>]) -> [ClosedRange<UInt16>] {
        var result: [ClosedRange<UInt16>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = result.last, Int(range.lowerBound) <= Int(last.upperBound) + 1 {
                result[result.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                result.append(range)
            }
        }
        return result
    }
}
