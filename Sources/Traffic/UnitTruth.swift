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
    /// Whether its busiest window under the rule's mode reaches the threshold, i.e. whether a correct worker
    /// with that rule blocks it.
    public var expectedBlocked: Bool

    /// Creates a unit's truth; `expectedBlocked` is usually computed with ``init(name:kind:sent:peaks:rule:)``.
    public init(name: String, kind: TrafficKind, sent: Int, peaks: WindowPeaks, expectedBlocked: Bool) {
        self.name = name
        self.kind = kind
        self.sent = sent
        self.peaks = peaks
        self.expectedBlocked = expectedBlocked
    }

    /// A unit's truth with ``expectedBlocked`` judged by `rule`.
    public init(name: String, kind: TrafficKind, sent: Int, peaks: WindowPeaks, rule: DetectionRule) {
        self.init(
            name: name, kind: kind, sent: sent, peaks: peaks,
            expectedBlocked: peaks.peak(for: rule.mode) >= rule.threshold)
    }
}
