import Detection

/// How well the worker did on a feed: bots caught and missed, users wrongly blocked, shared addresses and
/// straddling bursts on their own lines, and how many requests each caught bot got in before its block.
///
/// A pure function of its inputs (``init(truth:blocked:events:sentAtBlock:)``), so it can be computed from a
/// live run or from hand-made values. A unit counts as blocked when it is in the blocklist or the worker
/// announced a block for it: a dry-run worker only announces, and a short ban may have expired before the
/// blocklist is read.
///
/// "Bots" are the units the rule should block (``UnitTruth/expectedBlocked``), whatever the generator meant
/// them to be, except shared (NAT) addresses, which get their own line: by the rule they are bots, and the
/// report shows that trade-off rather than hiding it among the bots or the users. "Users" are the units the
/// rule should not block, NAT addresses again excepted.
public struct DetectionReport: Sendable, Hashable, Codable {
    /// Units of one kind and what happened to them.
    public struct KindLine: Sendable, Hashable, Codable {
        /// The kind.
        public var kind: TrafficKind
        /// Units of the kind.
        public var units: Int
        /// Their requests.
        public var requests: Int
        /// Units the rule should block.
        public var expectedBlocked: Int
        /// Units blocked.
        public var blocked: Int

        /// Creates a line.
        public init(kind: TrafficKind, units: Int, requests: Int, expectedBlocked: Int, blocked: Int) {
            self.kind = kind
            self.units = units
            self.requests = requests
            self.expectedBlocked = expectedBlocked
            self.blocked = blocked
        }
    }

    /// One unit named in the report.
    public struct UnitLine: Sendable, Hashable, Codable {
        /// The unit's name.
        public var unit: String
        /// What the generator meant it to be.
        public var kind: TrafficKind
        /// Requests the feed sent for it.
        public var sent: Int
        /// Its busiest window under the rule's mode.
        public var peak: Int
        /// Requests the feed had sent for it when its first block event arrived; nil without an event.
        public var sentAtBlock: Int?
        /// The worker's count for it when it blocked it; nil without an event.
        public var countAtBlock: Int?
    }

    /// One rule: the units of the feed over it, and those the worker announced under it.
    public struct RuleLine: Sendable, Hashable, Codable {
        /// The rule's name.
        public var name: String
        /// `fixed` or `rolling`.
        public var mode: String
        /// Requests per window that cross it.
        public var threshold: Int
        /// Window length in seconds.
        public var window: Int
        /// Whether it only announces.
        public var dryRun: Bool
        /// Units whose busiest window reaches its threshold.
        public var expectedOver: Int
        /// Units of the feed with a block event naming this rule. A unit over several rules at once is banned,
        /// and announced, once: under the rule whose ban is longest.
        public var announced: Int
    }

    /// Range bans: the ranges the feed's units should ban, and the fresh addresses inside them.
    public struct RangeLine: Sendable, Hashable, Codable {
        /// Units banned at once that ban a range.
        public var minUnits: Int
        /// Ranges the feed's units should ban.
        public var expected: Int
        /// Of those, the ones banned (in the ranges set, or announced with `"range":true`).
        public var banned: Int
        /// Expected ranges not banned.
        public var missed: [String]
        /// Banned ranges of the feed's units that were not expected.
        public var unexpected: [String]
        /// Units under every threshold inside an expected range (a farm's fresh addresses among them).
        public var freshUnits: Int
        /// Of those, the ones inside a banned range: refused by the range ban though never over a rule.
        public var freshRefused: Int
    }

    /// Repeat offenders: bots that came back after their ban.
    public struct RepeatLine: Sendable, Hashable, Codable {
        /// Repeat offenders sent.
        public var units: Int
        /// Their visits in all: each crosses the threshold, so each should earn a ban of its own.
        public var visits: Int
        /// Block events heard for them.
        public var bansSeen: Int
        /// Units whose block events were one per visit.
        public var bannedEveryVisit: Int
        /// Whether escalation was on (`blocklist.escalation.factor` above 1), so offences are numbered.
        public var escalation: Bool
        /// With escalation, units whose events numbered their offences 1, 2, … one per visit.
        public var offencesInOrder: Int
    }

    /// Smallest, median and largest of some counts.
    public struct Spread: Sendable, Hashable, Codable {
        /// How many values.
        public var count: Int
        /// The smallest.
        public var min: Int
        /// The middle value; for an even count, the lower of the two middle values.
        public var median: Int
        /// The largest.
        public var max: Int

        /// The spread of `values`, or nil when there are none.
        public init?(_ values: [Int]) {
            guard !values.isEmpty else { return nil }
            let sorted = values.sorted()
            count = sorted.count
            min = sorted[0]
            median = sorted[(sorted.count - 1) / 2]
            max = sorted[sorted.count - 1]
        }
    }

    /// The rule's mode, threshold and window, as the ground truth assumed them.
    public var mode: String
    /// Requests per window that block.
    public var threshold: Int
    /// Window length in seconds.
    public var window: Int
    /// Whether the requests carried event times.
    public var eventTimes: Bool
    /// Requests the feed sent.
    public var requests: Int
    /// Units the feed sent requests for.
    public var units: Int
    /// Per kind, in ``TrafficKind`` order, kinds without units left out.
    public var kinds: [KindLine]
    /// Units the rule should block, NAT addresses left out.
    public var botsExpected: Int
    /// Of those, the blocked ones, with their requests before the block.
    public var caught: [UnitLine]
    /// Of those, the ones not blocked.
    public var missed: [UnitLine]
    /// Units the rule should not block, NAT addresses left out.
    public var usersExpected: Int
    /// Of those, the blocked ones.
    public var wronglyBlocked: [UnitLine]
    /// Shared (NAT) addresses sent.
    public var sharedAddresses: Int
    /// Of those, the ones the rule should block (normally all).
    public var sharedAddressesExpected: Int
    /// Of those, the blocked ones.
    public var sharedAddressesBlocked: Int
    /// Straddling bursts sent.
    public var straddlingBursts: Int
    /// Of those, the ones the rule should block: all with rolling windows, none with fixed ones.
    public var straddlingBurstsExpected: Int
    /// Of those, the blocked ones.
    public var straddlingBurstsBlocked: Int
    /// Requests the feed had sent for each caught bot when its block event arrived.
    public var requestsBeforeBlock: Spread?
    /// Members of the blocklist.
    public var blocklistSize: Int
    /// Blocked units the feed never sent (earlier runs, other traffic).
    public var foreignBlocked: Int
    /// Block events heard.
    public var blockEvents: Int
    /// Every rule of the setup, in configuration order.
    public var rules: [RuleLine]
    /// Range bans; nil while they are off.
    public var ranges: RangeLine?
    /// Repeat offenders; nil when the feed sent none.
    public var repeatOffenders: RepeatLine?
    /// Things that make the numbers mean less than they seem, in plain words.
    public var notes: [String]

    /// Bots blocked.
    public var botsCaught: Int { caught.count }

    /// Judges a feed: `truth` is what was sent, `blocked` the blocklist's members, `events` the block events
    /// heard (range bans among them), `sentAtBlock` the feed's sent count per unit when its first block event
    /// arrived, `bannedRanges` the members of the ranges set.
    ///
    /// Unit names in `blocked` and `events` are canonicalised, so any spelling the worker might use matches.
    public init(
        truth: GroundTruth, blocked: Set<String>, events allEvents: [BlockEvent], sentAtBlock: [String: Int],
        bannedRanges: Set<String> = []
    ) {
        let events = allEvents.filter { !$0.range }
        let rule = truth.rule
        mode = rule.mode.rawValue
        threshold = rule.threshold
        window = rule.windowSeconds
        eventTimes = truth.timed
        requests = truth.requestCount
        units = truth.units.count
        blocklistSize = blocked.count
        blockEvents = events.count

        func canonical(_ name: String) -> String { DetectionUnit.parse(name: name)?.name ?? name }
        var firstEvent: [String: BlockEvent] = [:]
        for event in events where firstEvent[canonical(event.unit)] == nil { firstEvent[canonical(event.unit)] = event }
        var sentAt: [String: Int] = [:]
        for (name, count) in sentAtBlock { sentAt[canonical(name)] = count }
        let blockedUnits = Set(blocked.map(canonical)).union(firstEvent.keys)

        var lines: [TrafficKind: KindLine] = [:]
        var caught: [UnitLine] = []
        var missed: [UnitLine] = []
        var wronglyBlocked: [UnitLine] = []
        var usersExpected = 0
        var botsExpected = 0
        var shared = (units: 0, expected: 0, blocked: 0)
        var straddling = (units: 0, expected: 0, blocked: 0)
        var caughtWithoutEvent = 0
        for unit in truth.units {
            let isBlocked = blockedUnits.contains(unit.name)
            var line = lines[unit.kind] ?? KindLine(kind: unit.kind, units: 0, requests: 0, expectedBlocked: 0, blocked: 0)
            line.units += 1
            line.requests += unit.sent
            if unit.expectedBlocked { line.expectedBlocked += 1 }
            if isBlocked { line.blocked += 1 }
            lines[unit.kind] = line

            let event = firstEvent[unit.name]
            let detail = UnitLine(
                unit: unit.name, kind: unit.kind, sent: unit.sent, peak: unit.peaks.peak(for: rule.mode),
                sentAtBlock: event == nil ? nil : sentAt[unit.name], countAtBlock: event?.count)
            if unit.kind == .straddle {
                straddling.units += 1
                if unit.expectedBlocked { straddling.expected += 1 }
                if isBlocked { straddling.blocked += 1 }
            }
            if unit.kind == .nat {
                shared.units += 1
                if unit.expectedBlocked { shared.expected += 1 }
                if isBlocked { shared.blocked += 1 }
            } else if unit.expectedBlocked {
                botsExpected += 1
                if isBlocked {
                    caught.append(detail)
                    if event == nil { caughtWithoutEvent += 1 }
                } else {
                    missed.append(detail)
                }
            } else {
                usersExpected += 1
                if isBlocked { wronglyBlocked.append(detail) }
            }
        }
        self.kinds = TrafficKind.allCases.compactMap { lines[$0] }
        self.caught = caught
        self.missed = missed
        self.wronglyBlocked = wronglyBlocked
        self.botsExpected = botsExpected
        self.usersExpected = usersExpected
        sharedAddresses = shared.units
        sharedAddressesExpected = shared.expected
        sharedAddressesBlocked = shared.blocked
        straddlingBursts = straddling.units
        straddlingBurstsExpected = straddling.expected
        straddlingBurstsBlocked = straddling.blocked
        requestsBeforeBlock = Spread(caught.compactMap(\.sentAtBlock))
        foreignBlocked = blockedUnits.filter { truth.unit(named: $0) == nil }.count

        rules = truth.setup.rules.map { rule in
            let over = truth.units.filter { $0.rulesOver.contains(rule.name) }.count
            let announced = Set(events.filter { $0.rule == rule.name }.map { canonical($0.unit) })
                .filter { truth.unit(named: $0) != nil }.count
            return RuleLine(
                name: rule.name, mode: rule.mode.rawValue, threshold: rule.threshold, window: rule.windowSeconds,
                dryRun: rule.dryRun, expectedOver: over, announced: announced)
        }
        ranges = Self.rangeLine(truth: truth, events: allEvents, bannedRanges: bannedRanges)
        let repeatLine = Self.repeatLine(truth: truth, events: events, canonical: canonical)
        repeatOffenders = repeatLine

        var notes: [String] = []
        let workerRules = Set(events.map { "\($0.mode) windows of \($0.window) s" })
        let assumedRules = Set(truth.setup.rules.map { "\($0.mode.rawValue) windows of \($0.windowSeconds) s" })
        if !workerRules.isEmpty, !workerRules.isSubset(of: assumedRules) {
            notes.append(
                "the worker blocked with \(workerRules.sorted().joined(separator: " and ")) but the ground truth assumed "
                    + "\(assumedRules.sorted().joined(separator: " and ")): pass the worker's --config (or --mode and "
                    + "--window) to feed")
        }
        if let repeatLine, repeatLine.visits == repeatLine.units {
            notes.append(
                "no repeat offender came back: the feed ended before their bans did (give it a --duration or --rate "
                    + "longer than ban_seconds)")
        }
        if events.contains(where: \.dryRun) {
            let shadow = truth.setup.rules.filter(\.dryRun).map(\.name)
            if truth.setup.rules.count > 1, shadow.count < truth.setup.rules.count {
                notes.append(
                    "rules in dry run (\(shadow.joined(separator: ", "))) only announce: their units count as caught "
                        + "from the events, and are not in the blocklist")
            } else {
                notes.append("the worker is in dry-run mode: blocks are taken from its events, the blocklist stays empty")
            }
        }
        if caughtWithoutEvent > 0 {
            notes.append(
                "\(caughtWithoutEvent) caught bot(s) had no block event: already blocked before this feed "
                    + "(an earlier run with the same seed?), so their requests before block are unknown")
        }
        if foreignBlocked > 0 {
            notes.append("\(foreignBlocked) blocked unit(s) are not from this feed (earlier runs or other traffic)")
        }
        self.notes = notes
    }

    /// The range line: expected ranges from the truth against the ranges set and the range events.
    private static func rangeLine(truth: GroundTruth, events: [BlockEvent], bannedRanges: Set<String>) -> RangeLine? {
        guard truth.setup.ranges.isOn else { return nil }
        func canonical(_ name: String) -> String { IPNetwork(name)?.description ?? name }
        let banned = Set(bannedRanges.map(canonical)).union(events.filter(\.range).map { canonical($0.unit) })
        let expected = truth.expectedRanges
        var fresh = 0
        var freshRefused = 0
        var feedRanges: Set<String> = []
        for unit in truth.units {
            guard let range = truth.rangeName(ofUnit: unit.name) else { continue }
            feedRanges.insert(range)
            if !unit.expectedBlocked, expected[range] != nil {
                fresh += 1
                if banned.contains(range) { freshRefused += 1 }
            }
        }
        return RangeLine(
            minUnits: truth.setup.ranges.minUnits, expected: expected.count,
            banned: expected.keys.filter(banned.contains).count,
            missed: expected.keys.filter { !banned.contains($0) }.sorted(),
            unexpected: banned.filter { expected[$0] == nil && feedRanges.contains($0) }.sorted(),
            freshUnits: fresh, freshRefused: freshRefused)
    }

    /// The repeat line: each repeat offender's visits against its block events.
    private static func repeatLine(
        truth: GroundTruth, events: [BlockEvent], canonical: (String) -> String
    ) -> RepeatLine? {
        let offenders = truth.units.filter { $0.kind == .repeatOffender }
        guard !offenders.isEmpty else { return nil }
        var eventsByUnit: [String: [BlockEvent]] = [:]
        for event in events where !event.dryRun { eventsByUnit[canonical(event.unit), default: []].append(event) }
        let escalation = truth.setup.escalation.isOn
        var line = RepeatLine(
            units: offenders.count, visits: 0, bansSeen: 0, bannedEveryVisit: 0, escalation: escalation,
            offencesInOrder: 0)
        for unit in offenders {
            let seen = eventsByUnit[unit.name] ?? []
            line.visits += unit.visits
            line.bansSeen += seen.count
            if seen.count == unit.visits { line.bannedEveryVisit += 1 }
            if escalation, seen.compactMap(\.offence) == Array(1...max(unit.visits, 1)) { line.offencesInOrder += 1 }
        }
        return line
    }
}
