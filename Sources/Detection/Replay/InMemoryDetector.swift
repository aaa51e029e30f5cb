/// The worker's rules run over recorded traffic in memory: the counts it keeps in Redis, kept in dictionaries.
///
/// Everything that decides a block is the worker's own: the unit (``DetectionRule/unit(for:)``), the allowlist,
/// the clock policy (``EventClock``), fixed windows (``FixedWindow``), the sliding reading
/// (``SlidingWindowEstimate/reading(current:previous:next:window:index:latest:now:)``), the rolling cap, the choice
/// among rules (longest ban, then highest count, then configuration order; ``RuleCounter/grouping(_:)`` shares
/// counters as the worker does), dry-run announcements on crossing only, re-blocking a unit still over a threshold
/// once its ban ended, and ban escalation (``BanEscalation``). What differs is the clock: the worker judges at its
/// own time, the detector at the traffic's — the latest request time seen so far, so a log read later gives the
/// same answer. Requests are handled one at a time, where the worker adds up a batch first: with several rules,
/// the rule that blocks is the first to be reached, where a worker whose batch reached two at once names the one
/// with the longer ban. Ban jitter is not applied (it is random), and range bans are not simulated.
public struct InMemoryDetector: Sendable {
    /// What the detector did with the requests so far.
    public struct Tally: Hashable, Sendable {
        /// Requests counted against their unit.
        public var counted = 0
        /// Requests from allowlisted networks.
        public var allowlisted = 0
        /// Requests older than every counter's window when they came (the log's clock had moved on).
        public var stale = 0

        /// Creates a tally.
        public init(counted: Int = 0, allowlisted: Int = 0, stale: Int = 0) {
            self.counted = counted
            self.allowlisted = allowlisted
            self.stale = stale
        }
    }

    /// The rules, in configuration order.
    public let rules: [DetectionRule]
    /// Each rule's ban length in seconds (0: for good).
    public let banSeconds: [Int]
    /// How repeat bans grow.
    public let escalation: BanEscalation
    /// The blocks and dry-run announcements so far, in the order they happened.
    public private(set) var blocks: [DetectedBlock] = []
    /// The requests so far by outcome.
    public private(set) var tally = Tally()
    /// The traffic's clock: the latest request time seen, Unix milliseconds.
    public private(set) var now: Int64 = 0

    private var counters: [InMemoryCounter]
    private var bans: [DetectionUnit: BanState] = [:]
    private let unitRule: DetectionRule
    private var hasTime = false
    private var candidates: [(rule: Int, count: Int)] = []

    /// A detector for `rules` (at least one), banning each for `banSeconds[rule]` seconds (0: for good).
    public init(rules: [DetectionRule], banSeconds: [Int], escalation: BanEscalation = BanEscalation()) {
        precondition(!rules.isEmpty && rules.count == banSeconds.count, "one ban length per rule, at least one rule")
        self.rules = rules
        self.banSeconds = banSeconds
        self.escalation = escalation
        unitRule = rules[0]
        counters = RuleCounter.grouping(rules).map { InMemoryCounter(counter: $0, rules: $1, allRules: rules) }
    }

    /// Counts one request from `address` at `time` (Unix ms; nil: the latest time seen) and blocks its unit
    /// when a rule says so.
    public mutating func add(_ address: IPAddress, at time: Int64?) {
        if unitRule.isAllowlisted(address) {
            tally.allowlisted += 1
            return
        }
        let time = time ?? now
        if !hasTime || time > now {
            now = time
            hasTime = true
        }
        let unit = unitRule.unit(for: address)
        candidates.removeAll(keepingCapacity: true)
        var counted = false
        for index in counters.indices {
            guard let reading = counters[index].add(unit, at: time, now: now) else { continue }
            counted = true
            for reader in counters[index].readers {
                let (before, after) = counters[index].read(reading, by: reader, at: time, now: now)
                if reader.dryRun {
                    if before < reader.threshold && after >= reader.threshold {
                        announce(unit, rule: reader.rule, at: time, count: after)
                    }
                } else if after >= reader.threshold {
                    candidates.append((reader.rule, after))
                }
            }
        }
        if counted { tally.counted += 1 } else { tally.stale += 1 }
        if !candidates.isEmpty { ban(unit, at: time) }
    }

    private mutating func announce(_ unit: DetectionUnit, rule: Int, at time: Int64, count: Int) {
        blocks.append(
            DetectedBlock(
                unit: unit, ruleIndex: rule, rule: rules[rule].name, at: time, count: count, dryRun: true,
                expiresAt: nil))
    }

    /// Bans `unit` under the strongest of ``candidates`` unless a ban of it is still running at `time`.
    private mutating func ban(_ unit: DetectionUnit, at time: Int64) {
        let held = bans[unit]
        if let held, time < held.expiresAt { return }
        var best = candidates[0]
        for candidate in candidates.dropFirst() {
            let (length, bestLength) = (banLength(candidate.rule), banLength(best.rule))
            if length > bestLength || (length == bestLength && candidate.count > best.count) { best = candidate }
        }
        let offence = escalation.isOn && held.map { time < $0.rememberedUntil } == true ? held!.offence + 1 : 1
        let seconds = banSeconds[best.rule]
        var expiresAt = Int64.max
        if seconds > 0 {
            let base = Int64(min(seconds, BanExpiry.maximumSeconds)) * 1000
            expiresAt = time.saturatingAdd(Int64(escalation.lengthMilliseconds(baseMilliseconds: base, offence: offence)))
        }
        let memory = Int64(min(escalation.memorySeconds, BanExpiry.maximumSeconds)) * 1000
        bans[unit] = BanState(
            expiresAt: expiresAt, offence: offence, rememberedUntil: expiresAt.saturatingAdd(memory))
        blocks.append(
            DetectedBlock(
                unit: unit, ruleIndex: best.rule, rule: rules[best.rule].name, at: time, count: best.count,
                dryRun: false, expiresAt: expiresAt == .max ? nil : expiresAt))
    }

    /// A rule's ban length for comparing rules: a ban for good is the longest.
    private func banLength(_ rule: Int) -> Int { banSeconds[rule] > 0 ? banSeconds[rule] : .max }
}

/// A unit's latest ban.
private struct BanState: Sendable {
    /// When the ban ends; `Int64.max` for good.
    var expiresAt: Int64
    /// Its offence number (1 without escalation).
    var offence: Int
    /// Until when a new ban counts as a repeat offence.
    var rememberedUntil: Int64
}
