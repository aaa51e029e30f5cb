import Detection
import RESP
import RedisClient

/// Why a unit is or is not blocked: its allowlisting, each rule's count against its limit, and its ban.
///
/// Read from the worker's own keys (``gather(for:unit:settings:on:now:)``), for
/// `ipwatcher blocklist explain`. The counts are what the worker's next batch would start from, read from
/// whichever layout `detection.counters` names; a rule's counter that does not exist counts 0.
public struct UnitExplanation: Sendable, Hashable {
    /// One rule's view of the unit.
    public struct RuleState: Sendable, Hashable {
        /// The rule.
        public var rule: DetectionRule
        /// Requests in the rule's current window (fixed) or the last window (rolling).
        public var count: Int
        /// When the count next goes down, in Unix ms: the end of the fixed window, or when the oldest event of the
        /// rolling window leaves it; nil when the count is 0.
        public var resetsAt: Int64?
        /// Whether the count is near the rule's limit (``DetectionSettings/nearLimitRatio``).
        public var isNearLimit: Bool
        /// Whether the count is at or over the threshold.
        public var isOver: Bool { count >= rule.threshold }
    }

    /// The ban on the unit, as the blocklist and the ban details hash hold it.
    public struct Ban: Sendable, Hashable {
        /// When it ends, in Unix ms; nil for good.
        public var expiresAt: Int64?
        /// The rule that banned it; nil for a ban by hand or one without recorded details.
        public var rule: String?
        /// The offence number under escalation; nil when escalation was off.
        public var offence: Int?
        /// When the ban began, in Unix ms, if recorded.
        public var since: Int64?
        /// Whether it was added by hand (`blocklist add`).
        public var isManual: Bool
    }

    /// A banned range that covers the unit (``Detection/RangeBanPolicy``).
    public struct RangeBan: Sendable, Hashable {
        /// The range, `network/length`.
        public var range: String
        /// The range's ban; `rule` is the rule of the unit ban that completed it.
        public var ban: Ban
    }

    /// The unit's canonical name.
    public var unit: String
    /// Whether the address is allowlisted (never counted or blocked); false when a unit name was given.
    public var isAllowlisted: Bool
    /// Each rule in configuration order.
    public var rules: [RuleState]
    /// The ban, if the unit is in the blocklist.
    public var ban: Ban?
    /// The banned range covering the unit, if any (always nil while range bans are off).
    public var range: RangeBan?

    /// Whether the unit is refused: in the blocklist, or inside a banned range.
    public var isBlocked: Bool { ban != nil || range != nil }

    /// Reads everything about `unit` (the unit of `address`, when an address was given) from Redis at `now`.
    ///
    /// One pipeline for the bans, then each rule's counts through ``RuleCountReader``.
    public static func gather(
        for address: IPAddress?, unit: DetectionUnit, settings: WorkerSettings,
        on client: some RedisCommandExecutor, now: Int64
    ) async throws -> UnitExplanation {
        let detection = settings.detection
        let name = unit.name
        var encoder = RESPCommandEncoder()
        encoder.encode("SISMEMBER", settings.blocklistKey, name)
        encoder.encode("ZSCORE", settings.bansKey, name)
        encoder.encode("HGET", settings.banInfoKey, name)
        let rangeName = settings.rangeName(of: unit, allowlist: [])
        if let rangeName {
            encoder.encode("SISMEMBER", settings.rangesKey, rangeName)
            encoder.encode("ZSCORE", settings.rangeBansKey, rangeName)
            encoder.encode("HGET", settings.banInfoKey, rangeName)
        }
        let replies = try await client.pipeline(encoder)
        for reply in replies { _ = try reply.throwingServerError() }
        let reader = RuleCountReader(settings: settings)
        var states: [RuleState] = []
        for rule in detection.rules {
            states += try await reader.states(of: [name], under: rule, on: client, now: now)
        }
        /// The ban of the member whose SISMEMBER, ZSCORE and HGET replies start at `first`, if it is a member.
        func ban(at first: Int) -> Ban? {
            guard replies[first].int == 1 || replies[first].bool == true else { return nil }
            let details = replies[first + 2].string.map(BanDetails.init) ?? BanDetails("")
            return Ban(
                expiresAt: replies[first + 1].double.map { Int64($0) }, rule: details.rule, offence: details.offence,
                since: details.since, isManual: details.isManual)
        }
        let range = rangeName.flatMap { name in ban(at: 3).map { RangeBan(range: name, ban: $0) } }
        return UnitExplanation(
            unit: name, isAllowlisted: address.map(detection.unitRule.isAllowlisted) ?? false, rules: states,
            ban: ban(at: 0), range: range)
    }
}
