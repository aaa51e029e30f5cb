import Detection

/// What `ipwatcher top` shows at one moment: the worker's rates, the queue, the blocklist, the units nearest each
/// rule's threshold and the latest blocks, each figure with where it came from.
///
/// Plain data, filled by ``TopCollector`` and drawn by ``TopRenderer``; a figure nobody could read is nil and shows
/// as "—", never as a number made up.
public struct TopSnapshot: Sendable, Hashable {
    /// A figure and where it came from ("metrics 127.0.0.1:9464", "redis LLEN ips"); `value` nil when unknown.
    public struct Figure: Sendable, Hashable {
        /// The value, or nil when it could not be read.
        public var value: Double?
        /// Where it came from, or why it is missing.
        public var source: String

        /// A figure of `value` from `source`.
        public init(_ value: Double?, source: String) {
            self.value = value
            self.source = source
        }
    }

    /// A unit counted under a rule.
    public struct UnitCount: Sendable, Hashable {
        /// The unit's canonical name.
        public var unit: String
        /// Its count in the rule's window (for a sliding rule, the worker's estimate).
        public var count: Int

        /// A unit and its count.
        public init(unit: String, count: Int) {
            self.unit = unit
            self.count = count
        }
    }

    /// One rule and the units nearest its threshold.
    public struct RuleView: Sendable, Hashable {
        /// The rule.
        public var rule: DetectionRule
        /// The units counting in its window that are not blocked, highest count first (then by name).
        public var nearest: [UnitCount]
        /// Units with a count in the rule's window that were read, blocked ones included.
        public var unitsCounted: Int
        /// Of those, units left out because they are in the blocklist.
        public var blockedLeftOut: Int
        /// Why the counts may be partial (the scan or the read stopped at its cap), or nil when they are whole.
        public var capNote: String?

        /// A rule's view.
        public init(
            rule: DetectionRule, nearest: [UnitCount], unitsCounted: Int, blockedLeftOut: Int = 0,
            capNote: String? = nil
        ) {
            self.rule = rule
            self.nearest = nearest
            self.unitsCounted = unitsCounted
            self.blockedLeftOut = blockedLeftOut
            self.capNote = capNote
        }
    }

    /// A ban in force, as the ban details hash records it.
    public struct Block: Sendable, Hashable {
        /// The unit (or range) banned.
        public var unit: String
        /// When the ban began, Unix ms.
        public var since: Int64
        /// The rule that banned it; nil for a ban by hand.
        public var rule: String?
        /// The offence number under escalation (0 or nil while escalation is off).
        public var offence: Int?
        /// Whether it was added by hand (`blocklist add`).
        public var isManual: Bool

        /// A ban of `unit` since `since`.
        public init(unit: String, since: Int64, rule: String?, offence: Int? = nil, isManual: Bool = false) {
            self.unit = unit
            self.since = since
            self.rule = rule
            self.offence = offence
            self.isManual = isManual
        }
    }

    /// When it was taken, Unix ms.
    public var takenAt: Int64
    /// The Redis it was read from, without credentials.
    public var redis: String
    /// Why Redis could not be read, or nil; the Redis figures are then unknown.
    public var redisError: String?
    /// Entries the worker popped per second.
    public var entriesPerSecond: Figure
    /// Units blocked per minute.
    public var blocksPerMinute: Figure
    /// Entries waiting in the queue (all shards).
    public var queueLength: Figure
    /// Units in the blocklist set.
    public var blocklistSize: Figure
    /// Ranges banned, or nil while range bans are off.
    public var rangesBanned: Figure?
    /// Each rule in configuration order.
    public var rules: [RuleView]
    /// Bans in force, newest first.
    public var latestBlocks: [Block]
    /// Why the latest blocks may be partial, or nil.
    public var blocksNote: String?

    /// A snapshot; the lists default to empty and the figures to unknown.
    public init(
        takenAt: Int64, redis: String, redisError: String? = nil,
        entriesPerSecond: Figure = Figure(nil, source: "not read"),
        blocksPerMinute: Figure = Figure(nil, source: "not read"),
        queueLength: Figure = Figure(nil, source: "not read"),
        blocklistSize: Figure = Figure(nil, source: "not read"), rangesBanned: Figure? = nil,
        rules: [RuleView] = [], latestBlocks: [Block] = [], blocksNote: String? = nil
    ) {
        self.takenAt = takenAt
        self.redis = redis
        self.redisError = redisError
        self.entriesPerSecond = entriesPerSecond
        self.blocksPerMinute = blocksPerMinute
        self.queueLength = queueLength
        self.blocklistSize = blocklistSize
        self.rangesBanned = rangesBanned
        self.rules = rules
        self.latestBlocks = latestBlocks
        self.blocksNote = blocksNote
    }
}
