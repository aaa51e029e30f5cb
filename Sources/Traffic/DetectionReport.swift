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
    /// Things that make the numbers mean less than they seem, in plain words.
    public var notes: [String]

    /// Bots blocked.
    public var botsCaught: Int { caught.count }

    /// Judges a feed: `truth` is what was sent, `blocked` the blocklist's members, `events` the block events
    /// heard, `sentAtBlock` the feed's sent count per unit when its first block event arrived.
    ///
    /// Unit names in `blocked` and `events` are canonicalised, so any spelling the worker might use matches.
    public init(truth: GroundTruth, blocked: Set<String>, events: [BlockEvent], sentAtBlock: [String: Int]) {
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

        var notes: [String] = []
        let workerRules = Set(events.map { "\($0.mode) windows of \($0.window) s" })
        let assumed = "\(rule.mode.rawValue) windows of \(rule.windowSeconds) s"
        if !workerRules.isEmpty, workerRules != [assumed] {
            notes.append(
                "the worker blocked with \(workerRules.sorted().joined(separator: " and ")) but the ground truth assumed "
                    + "\(assumed): pass the worker's --mode and --window to feed")
        }
        if events.contains(where: \.dryRun) {
            notes.append("the worker is in dry-run mode: blocks are taken from its events, the blocklist stays empty")
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
}
