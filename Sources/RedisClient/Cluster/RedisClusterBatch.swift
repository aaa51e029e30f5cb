/// The pure part of a cluster pipeline: splitting commands by the node they go to, and putting the nodes'
/// replies back in the caller's order.
enum RedisClusterBatch {
    /// One node's share of a pipeline: the positions (into the list given to ``split(_:)``) of its commands, in
    /// ascending order, so commands for one node are sent in the caller's order.
    struct Group<Target: Hashable>: Equatable {
        var target: Target
        var positions: [Int]
    }

    /// Groups positions `0..<targets.count` by target, the groups in order of each target's first appearance.
    static func split<Target: Hashable>(_ targets: [Target]) -> [Group<Target>] {
        var groups: [Group<Target>] = []
        var groupIndex: [Target: Int] = [:]
        for (position, target) in targets.enumerated() {
            if let index = groupIndex[target] {
                groups[index].positions.append(position)
            } else {
                groupIndex[target] = groups.count
                groups.append(Group(target: target, positions: [position]))
            }
        }
        return groups
    }

    /// The replies of every group laid out by position: `replies[g][k]` answers `groups[g].positions[k]`.
    ///
    /// Precondition: each group has one reply per position, and the positions cover `0..<count` exactly once.
    static func reassemble<Target: Hashable, Reply>(
        count: Int, groups: [Group<Target>], replies: [[Reply]]
    ) -> [Reply] {
        var result = [Reply?](repeating: nil, count: count)
        for (group, groupReplies) in zip(groups, replies) {
            precondition(group.positions.count == groupReplies.count, "one reply per command of a group")
            for (position, reply) in zip(group.positions, groupReplies) { result[position] = reply }
        }
        return result.map { reply in
            guard let reply else { preconditionFailure("a position without a group") }
            return reply
        }
    }
}
