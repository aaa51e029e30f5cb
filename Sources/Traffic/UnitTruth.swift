import Detection

/// What the feed sent for one unit, and whether the rule should block it.
public struct UnitTruth: Sendable, Hashable, Codable {
    /// The unit's canonical name, as the worker writes it to the blocklist (`203.0.113.7`, `2001:db8:c000:1::/64`).
    public var name: String
    /// What the generator meant the unit to be.
    public var kind: TrafficKind
    /// Requests sent for the unit.
    public var sent: Int
    /// Its busiest window, counted both ways.
    public var peaks: WindowPeaks
    /// Whether a correct worker blocks it (or, for a rule in dry run, announces it): its busiest window reaches the
    /// threshold of some rule.
    public var expectedBlocked: Bool
    /// The rules, dry-run ones included, whose threshold its busiest window (in each rule's own window and mode)
    /// reaches, in configuration order.
    public var rulesOver: [String]
    /// Separate visits: bursts more than a second apart (only timed feeds tell them apart; 1 otherwise).
    public var visits: Int

    /// Creates a unit's truth; `expectedBlocked` is usually computed with ``init(name:kind:sent:peaks:rule:)``.
    /// ``peaks`` are those of the first rule's window.
    public init(
        name: String, kind: TrafficKind, sent: Int, peaks: WindowPeaks, expectedBlocked: Bool, rulesOver: [String] = [],
        visits: Int = 1
    ) {
        self.name = name
        self.kind = kind
        self.sent = sent
        self.peaks = peaks
        self.expectedBlocked = expectedBlocked
        self.rulesOver = rulesOver
        self.visits = visits
    }

    /// A unit's truth with ``expectedBlocked`` judged by `rule`.
    public init(name: String, kind: TrafficKind, sent: Int, peaks: WindowPeaks, rule: DetectionRule) {
        let over = peaks.peak(for: rule.mode) >= rule.threshold
        self.init(
            name: name, kind: kind, sent: sent, peaks: peaks, expectedBlocked: over,
            rulesOver: over ? [rule.name] : [])
    }
}
