/// The counter a rule reads: its mode and window. Rules that agree on both share one counter in Redis.
///
/// Counter keys name the window (``KeySchema/fixedCounterKey(unitName:windowSeconds:windowIndex:)``,
/// ``KeySchema/rollingKey(unitName:windowSeconds:)``), so counters of different windows never mix.
public struct RuleCounter: Hashable, Sendable {
    /// How the counter counts.
    public var mode: DetectionRule.Mode
    /// Its window in seconds.
    public var windowSeconds: Int

    /// Creates a counter description.
    public init(mode: DetectionRule.Mode, windowSeconds: Int) {
        self.mode = mode
        self.windowSeconds = windowSeconds
    }

    /// The distinct counters of `rules`, in the order of their first rule, each with the rules reading it.
    public static func grouping(_ rules: [DetectionRule]) -> [(counter: RuleCounter, rules: [Int])] {
        var order: [RuleCounter] = []
        var members: [RuleCounter: [Int]] = [:]
        for (index, rule) in rules.enumerated() {
            if members[rule.counter] == nil { order.append(rule.counter) }
            members[rule.counter, default: []].append(index)
        }
        return order.map { ($0, members[$0] ?? []) }
    }
}
