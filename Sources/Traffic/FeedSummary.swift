/// What a finished feed sent.
public struct FeedSummary: Sendable {
    /// The scenario generated.
    public var scenario: TrafficScenario
    /// Its seed.
    public var seed: UInt64
    /// The list pushed to.
    public var queueKey: String
    /// Whether entries carried event times.
    public var timed: Bool
    /// Requests sent (and acknowledged by Redis).
    public var sent: Int
    /// `LPUSH` commands sent.
    public var commands: Int
    /// Time from the first request to the last reply.
    public var elapsed: Duration
    /// Time spent waiting for a window boundary before sending (straddling bursts only).
    public var waited: Duration
    /// Every unit sent, and whether the rule should block it.
    public var truth: GroundTruth
    /// Requests sent a second time because the connection was lost before their pipeline's reply: Redis may
    /// have queued them once already, so up to this many entries may be in the queue twice.
    public var resent = 0
    /// Times the connection was lost and re-established during the feed.
    public var reconnects = 0

    /// Requests per second over ``elapsed``.
    public var rate: Double {
        let seconds = elapsed.seconds
        return seconds > 0 ? Double(sent) / seconds : 0
    }

    /// A few lines for people: totals, then units per kind with how many the rule should block.
    public var text: String {
        let rule = truth.rule
        var lines = [
            "fed \(NumberText.grouped(sent)) requests to \(queueKey) in \(NumberText.seconds(elapsed)) "
                + "(\(NumberText.rate(rate))); scenario \(scenario), seed \(seed), "
                + (timed ? "with event times" : "without event times"),
            truth.setup.rules.count == 1
                ? "ground truth: \(rule.mode.rawValue) windows, threshold \(rule.threshold) per \(rule.windowSeconds) s"
                : "ground truth: rules " + truth.setup.rules.map(\.summary).joined(separator: "; "),
        ]
        if reconnects > 0 {
            lines.append(
                "the connection was lost \(reconnects) time(s); \(NumberText.grouped(resent)) requests were sent again "
                    + "and may be in the queue twice")
        }
        var byKind: [TrafficKind: (units: Int, requests: Int, expected: Int)] = [:]
        for unit in truth.units {
            var entry = byKind[unit.kind] ?? (0, 0, 0)
            entry.units += 1
            entry.requests += unit.sent
            if unit.expectedBlocked { entry.expected += 1 }
            byKind[unit.kind] = entry
        }
        for kind in TrafficKind.allCases {
            guard let entry = byKind[kind] else { continue }
            lines.append(
                "  \(kind.label): \(NumberText.grouped(entry.units)) units, \(NumberText.grouped(entry.requests)) requests, "
                    + "\(NumberText.grouped(entry.expected)) expected to be blocked")
        }
        return lines.joined(separator: "\n")
    }

    /// The summary as a JSON-ready value (no per-unit detail).
    public var json: FeedSummaryJSON {
        var kinds: [String: FeedSummaryJSON.Kind] = [:]
        for unit in truth.units {
            var entry = kinds[unit.kind.rawValue] ?? FeedSummaryJSON.Kind(units: 0, requests: 0, expectedBlocked: 0)
            entry.units += 1
            entry.requests += unit.sent
            if unit.expectedBlocked { entry.expectedBlocked += 1 }
            kinds[unit.kind.rawValue] = entry
        }
        return FeedSummaryJSON(
            scenario: scenario.description, seed: seed, queue: queueKey, eventTimes: timed, sent: sent,
            commands: commands, elapsedSeconds: elapsed.seconds, ratePerSecond: rate, waitedSeconds: waited.seconds,
            mode: truth.rule.mode.rawValue, threshold: truth.rule.threshold, window: truth.rule.windowSeconds,
            units: truth.units.count, kinds: kinds)
    }
}
