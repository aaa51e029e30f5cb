import Detection

/// A unit at or over one rule's threshold after a batch: what the blocklist writer offers or announces.
struct RuleCrossing: Sendable, Hashable {
    /// The unit and its count in the rule's window.
    var count: WindowCount
    /// The rule it crossed.
    var rule: DetectionRule
    /// How long its ban lasts, in seconds (0: for good).
    var banSeconds: Int

    /// Whether `self` bans for longer than `other`: a permanent ban is the longest.
    func outlasts(_ other: RuleCrossing) -> Bool {
        if other.banSeconds == 0 { return false }
        return banSeconds == 0 || banSeconds > other.banSeconds
    }
}
