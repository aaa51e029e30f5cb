import Detection

/// Detection settings that `SIGHUP` may change while the worker runs: the rules, and how long their bans last.
///
/// There is always at least one rule. Every rule carries the detection section's unit prefixes and allowlist
/// (the loader builds them so); ``unitRule`` is the one the worker takes them from.
public struct DetectionSettings: Sendable, Hashable {
    /// The rules, in configuration order; never empty.
    public var rules: [DetectionRule] {
        didSet { if rules.isEmpty { rules = [DetectionRule()] } }
    }
    /// How long a block lasts when its rule names no `ban_seconds`; 0 blocks for good.
    public var banSeconds: Int = 3600
    /// The fraction of a rule's threshold from which a unit counts as near the limit (metrics only).
    public var nearLimitRatio: Double = 0.8
    /// How bans grow for repeat offenders; off by default.
    public var escalation = BanEscalation()
    /// How fixed-window counters are laid out in Redis. A reload that changes it starts the current windows' counts
    /// from zero in the new layout, as a changed window length does.
    public var counters = CounterLayout.keys

    /// One rule; `dryRun` puts it in shadow mode. The single-rule settings of the tutorial.
    public init(rule: DetectionRule = DetectionRule(), banSeconds: Int = 3600, dryRun: Bool = false) {
        var rule = rule
        if dryRun { rule.dryRun = true }
        self.rules = [rule]
        self.banSeconds = banSeconds
    }

    /// Several rules; an empty list means the default rule.
    public init(
        rules: [DetectionRule], banSeconds: Int = 3600, nearLimitRatio: Double = 0.8,
        escalation: BanEscalation = BanEscalation(), counters: CounterLayout = .keys
    ) {
        self.rules = rules.isEmpty ? [DetectionRule()] : rules
        self.banSeconds = banSeconds
        self.nearLimitRatio = nearLimitRatio
        self.escalation = escalation
        self.counters = counters
    }

    /// The rule whose unit prefixes and allowlist name and filter units: the first (all rules share them).
    public var unitRule: DetectionRule { rules[0] }

    /// The one rule, for code that works with a single rule (tests, the demo): reads the first rule; setting it
    /// replaces every rule with this one.
    public var singleRule: DetectionRule {
        get { rules[0] }
        set { rules = [newValue] }
    }

    /// Whether every rule is in dry run, so the worker writes nothing at all; setting it puts every rule in dry run
    /// or takes every rule out of it.
    public var dryRun: Bool {
        get { rules.allSatisfy(\.dryRun) }
        set { for index in rules.indices { rules[index].dryRun = newValue } }
    }

    /// How long a ban by `rule` lasts, in seconds: its own `ban_seconds`, else ``banSeconds``.
    public func banSeconds(of rule: DetectionRule) -> Int { rule.banSeconds ?? banSeconds }

    /// The rules for a log line: each rule's ``DetectionRule/summary``, separated by `; `.
    public var rulesSummary: String { rules.map(\.summary).joined(separator: "; ") }
}
