import Detection
import RESP
import RedisClient

/// Why a unit is or is not blocked: its allowlisting, each rule's count against its limit, and its ban.
///
/// Read from the worker's own keys with one pipeline (``gather(for:unit:settings:on:now:)``), for
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
    public static func gather(
        for address: IPAddress?, unit: DetectionUnit, settings: WorkerSettings,
        on client: some RedisCommandExecutor, now: Int64
    ) async throws -> UnitExplanation {
        let detection = settings.detection
        let keys = settings.keys
        let name = unit.name
        var encoder = RESPCommandEncoder()
        encoder.encode("SISMEMBER", settings.blocklistKey, name)
        encoder.encode("ZSCORE", settings.bansKey, name)
        encoder.encode("HGET", settings.banInfoKey, name)
        for rule in detection.rules {
            let window = rule.fixedWindow
            /// Reads the fixed counter of window `index`.
            func readFixed(_ index: Int64) {
                switch detection.counters {
                case .keys:
                    encoder.encode(
                        "GET", keys.fixedCounterKey(unitName: name, windowSeconds: rule.windowSeconds, windowIndex: index))
                case .buckets(let count):
                    let bucket = CounterLayout.bucket(ofName: name, count: count)
                    encoder.encode(
                        "HGET", keys.bucketKey(windowSeconds: rule.windowSeconds, windowIndex: index, bucket: bucket),
                        name)
                }
            }
            switch rule.mode {
            case .fixed:
                readFixed(window.index(of: now))
            case .sliding:
                readFixed(window.index(of: now))
                readFixed(window.index(of: now) - 1)
            case .rolling:
                // A packed log or, for large caps and windows written before it, a sorted set: the type says
                // which reads follow.
                encoder.encode("TYPE", keys.rollingKey(unitName: name, windowSeconds: rule.windowSeconds))
            }
        }
        let rangeName = settings.rangeName(of: unit, allowlist: [])
        if let rangeName {
            encoder.encode("SISMEMBER", settings.rangesKey, rangeName)
            encoder.encode("ZSCORE", settings.rangeBansKey, rangeName)
            encoder.encode("HGET", settings.banInfoKey, rangeName)
        }
        let replies = try await client.pipeline(encoder)
        for reply in replies { _ = try reply.throwingServerError() }
        var position = 3
        var states: [RuleState] = []
        for rule in detection.rules {
            let window = rule.fixedWindow
            var count = 0
            var resetsAt: Int64?
            switch rule.mode {
            case .fixed:
                count = Int(replies[position].string ?? "") ?? 0
                if count > 0 { resetsAt = window.end(of: window.index(of: now)) }
                position += 1
            case .sliding:
                let index = window.index(of: now)
                let current = Int(replies[position].string ?? "") ?? 0
                let previous = Int(replies[position + 1].string ?? "") ?? 0
                count = SlidingWindowEstimate.count(
                    current: current, previous: previous, window: window, index: index, now: now)
                // The previous window's share shrinks to nothing at this window's end; the current count goes
                // with the next window's end.
                if count > 0 { resetsAt = current > 0 ? window.end(of: index + 1) : window.end(of: index) }
                position += 2
            case .rolling:
                let key = keys.rollingKey(unitName: name, windowSeconds: rule.windowSeconds)
                let events = try await rollingEvents(
                    key: key, type: replies[position].string ?? "", from: now - window.lengthMilliseconds, on: client)
                count = events.count
                if let oldest = events.oldest { resetsAt = oldest + window.lengthMilliseconds }
                position += 1
            }
            states.append(
                RuleState(
                    rule: rule, count: count, resetsAt: resetsAt,
                    isNearLimit: rule.isNearLimit(count, ratio: detection.nearLimitRatio)))
        }
        /// The ban of the member whose SISMEMBER, ZSCORE and HGET replies start at `first`, if it is a member.
        func ban(at first: Int) -> Ban? {
            guard replies[first].int == 1 || replies[first].bool == true else { return nil }
            let details = replies[first + 2].string.map(BanDetails.init) ?? BanDetails("")
            return Ban(
                expiresAt: replies[first + 1].double.map { Int64($0) }, rule: details.rule, offence: details.offence,
                since: details.since, isManual: details.isManual)
        }
        let range = rangeName.flatMap { name in ban(at: position).map { RangeBan(range: name, ban: $0) } }
        return UnitExplanation(
            unit: name, isAllowlisted: address.map(detection.unitRule.isAllowlisted) ?? false, rules: states,
            ban: ban(at: 0), range: range)
    }
}

extension UnitExplanation {
    /// How many events a rolling key of `type` holds from `from` (Unix ms) on, and the oldest of them.
    static func rollingEvents(
        key: String, type: String, from: Int64, on client: some RedisCommandExecutor
    ) async throws -> (count: Int, oldest: Int64?) {
        switch type {
        case "string":
            let reply = try await client.send("GET", key).throwingServerError()
            let bytes = reply.bytes.map { Array($0.readableBytesView) } ?? []
            let times = (RollingEventLog.decode(bytes) ?? []).filter { $0 >= from }
            return (times.count, times.first)
        case "zset":
            var encoder = RESPCommandEncoder()
            encoder.encode("ZCOUNT", key, from, "+inf")
            encoder.encode("ZRANGEBYSCORE", key, from, "+inf", "WITHSCORES", "LIMIT", 0, 1)
            let replies = try await client.pipeline(encoder)
            let count = try replies[0].throwingServerError().int.map(Int.init) ?? 0
            // RESP2 replies member, score; RESP3 one [member, score] pair per member.
            var oldest = try replies[1].throwingServerError().array.map(Array.init) ?? []
            if let pair = oldest.first?.array { oldest = Array(pair) }
            guard count > 0, oldest.count == 2,
                let score = oldest[1].double ?? oldest[1].string.flatMap(Double.init)
            else { return (count, nil) }
            return (count, Int64(score))
        default:
            return (0, nil)
        }
    }
}
