/// One block a set of rules makes over recorded traffic: which unit, by which rule, when, at what count.
public struct DetectedBlock: Hashable, Sendable {
    /// The unit blocked.
    public let unit: DetectionUnit
    /// The index of the rule in the detector's rules.
    public let ruleIndex: Int
    /// The rule's name.
    public let rule: String
    /// The time of the request that made the block, Unix milliseconds: the traffic's clock, not a worker's.
    public let at: Int64
    /// The unit's count as the rule read it at that request (for a sliding rule, the estimate).
    public let count: Int
    /// True when the rule is in dry run: the crossing is announced, nothing is banned.
    public let dryRun: Bool
    /// When the ban ends, Unix milliseconds; nil for a ban for good or a dry-run announcement.
    public let expiresAt: Int64?

    /// Creates a block.
    public init(
        unit: DetectionUnit, ruleIndex: Int, rule: String, at: Int64, count: Int, dryRun: Bool, expiresAt: Int64?
    ) {
        self.unit = unit
        self.ruleIndex = ruleIndex
        self.rule = rule
        self.at = at
        self.count = count
        self.dryRun = dryRun
        self.expiresAt = expiresAt
    }
}
