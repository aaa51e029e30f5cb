/// Weighted choice among traffic kinds, drawn once per unit a chunk starts.
struct ScenarioMix: Sendable {
    /// Kinds with cumulative weights, for one random draw per choice.
    private let cumulative: [(kind: TrafficKind, upTo: Int)]
    private let total: Int

    /// A mix of `weights`; kinds with weight 0 are never chosen.
    init(_ weights: [(TrafficKind, Int)]) {
        var running = 0
        var cumulative: [(kind: TrafficKind, upTo: Int)] = []
        for (kind, weight) in weights where weight > 0 {
            running += weight
            cumulative.append((kind, running))
        }
        self.cumulative = cumulative
        self.total = running
    }

    /// The kinds that can be drawn.
    var kinds: [TrafficKind] { cumulative.map(\.kind) }

    /// One kind, drawn with `random`; ``TrafficKind/user`` for an empty mix.
    func draw(using random: inout SplitMix64) -> TrafficKind {
        guard total > 0 else { return .user }
        let point = random.next(below: total)
        for entry in cumulative where point < entry.upTo { return entry.kind }
        return cumulative[cumulative.count - 1].kind
    }
}
