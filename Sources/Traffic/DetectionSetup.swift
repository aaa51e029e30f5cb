import Detection

/// What the worker is configured to do, as far as generated traffic and its ground truth need it: every rule,
/// how long bans last, how they escalate, and when ranges are banned.
///
/// `ipwatcher feed --config FILE` builds it from the worker's own configuration file, so the truth is judged by
/// the rules the worker runs; without a file it is one rule from the command line and the defaults.
public struct DetectionSetup: Sendable, Hashable {
    /// The rules, in configuration order; never empty. Every rule carries the unit prefixes and the allowlist.
    public private(set) var rules: [DetectionRule]
    /// How long a ban lasts when its rule names no `ban_seconds`; 0 bans for good.
    public var banSeconds: Int
    /// How bans grow for repeat offenders.
    public var escalation: BanEscalation
    /// When a whole range is banned.
    public var ranges: RangeBanPolicy

    /// A setup of `rules` (an empty list means the default rule).
    public init(
        rules: [DetectionRule], banSeconds: Int = 3600, escalation: BanEscalation = BanEscalation(),
        ranges: RangeBanPolicy = RangeBanPolicy()
    ) {
        self.rules = rules.isEmpty ? [DetectionRule()] : rules
        self.banSeconds = banSeconds
        self.escalation = escalation
        self.ranges = ranges
    }

    /// One rule and the defaults otherwise.
    public init(rule: DetectionRule) {
        self.init(rules: [rule])
    }

    /// The first rule: it names units (all rules share the prefixes and the allowlist) and sizes the scenarios'
    /// bursts.
    public var rule: DetectionRule { rules[0] }

    /// How long a ban by `rule` lasts, in seconds; 0 for good.
    public func banSeconds(of rule: DetectionRule) -> Int { rule.banSeconds ?? banSeconds }

    /// The rule with the longest window (the first such): the one a slow crawler is meant to cross.
    public var longestRule: DetectionRule {
        rules.max { $0.windowSeconds < $1.windowSeconds } ?? rule
    }

    /// The longest a burst of `requests` requests at one moment stays banned at its `offence`-th ban, in
    /// milliseconds, spread included; nil when it crosses no rule that bans, or the ban is for good.
    ///
    /// The worker bans a unit over several rules under the longest ban, so this takes the longest of every
    /// enforcing rule whose threshold the burst reaches, then escalates and spreads it as the ban script does.
    public func longestBanMilliseconds(ofBurst requests: Int, offence: Int) -> Int64? {
        let crossed = rules.filter { !$0.dryRun && $0.threshold <= requests }
        guard !crossed.isEmpty else { return nil }
        let seconds = crossed.map { banSeconds(of: $0) }
        guard !seconds.contains(0), let base = seconds.max() else { return nil }
        let length = escalation.lengthMilliseconds(baseMilliseconds: Int64(base) * 1000, offence: offence)
        return Int64((length * (1 + escalation.jitter)).rounded(.up))
    }
}
