import Detection
import Logging
import RESP
import RedisClient
import Synchronization

/// An in-memory copy of the blocklist, so that checking a request costs no network round trip.
///
/// ``run()`` keeps it current:
/// 1. Connect and subscribe to the events channel.
/// 2. Load the set (`SSCAN`) with each unit's ban expiry (`ZSCAN` of the ban index), and with range bans the
///    ranges set with its expiry index the same way.
/// 3. Apply the block and unblock events that arrived meanwhile, in order, then every later one as it comes.
///    The worker announces its blocks and the ends of bans there; `ipwatcher blocklist add` and `remove`
///    announce theirs.
/// 4. Load the set again every ``Settings/reconcileInterval``, so that a missed event heals.
///
/// A lost connection marks the copy stale (``isStale``) and is retried with backoff; the next connection loads
/// the set afresh.
///
/// ``blockedUnit(for:)`` takes a client address, canonicalises it to its unit exactly as the worker does (the
/// same prefixes), and answers from memory, under a lock held for one dictionary lookup (two with range bans:
/// the unit, then the address's range), without allocating.
/// While the copy is stale it answers from the last-known set: clients blocked before Redis went away stay
/// blocked, and a client blocked while it is away is not refused until it is back. An address the mirror has
/// never seen is not blocked (fail open), as it is before the first load completes.
///
/// One server only for now (a Redis Cluster's blocklist lives on one master; connect the mirror there).
public final class BlocklistMirror: Sendable {
    /// Which keys to copy, how to read addresses and how to reach Redis; the defaults are the worker's.
    public struct Settings: Sendable {
        /// The blocklist set (`blocklist.key`).
        public var blocklistKey = "blocklist"
        /// The ban index, a sorted set of expiry times (the worker's `<detection.key_prefix>bans`).
        public var bansKey = "ipwatcher:bans"
        /// Where blocks and unblocks are announced (`blocklist.events_channel`).
        public var eventsChannel = "ipwatcher:events"
        /// The unit prefixes (`detection.ipv4_prefix`, `detection.ipv6_prefix`).
        public var ipv4Prefix = 32
        public var ipv6Prefix = 64
        /// The banned ranges to honour (`blocklist.ranges`); nil while range bans are off.
        public var ranges: Ranges?
        /// Time between full reloads.
        public var reconcileInterval: Duration = .seconds(30)
        /// Timeouts, backoff and client name of the mirror's connection.
        public var connection = RedisConnectionConfiguration(clientName: "ipwatcher-web-mirror")

        /// The worker's defaults; change what your worker's configuration changes.
        public init() {}
    }

    /// Where the worker keeps banned ranges and how long they are.
    public struct Ranges: Sendable {
        /// The range prefixes (`blocklist.ranges.ipv4_prefix`, `ipv6_prefix`).
        public var policy: RangeBanPolicy
        /// The ranges set (`blocklist.ranges.key`).
        public var key: String
        /// The range ban index (the worker's `<detection.key_prefix>bans:ranges`).
        public var bansKey: String

        /// Ranges as the worker's configuration describes them.
        public init(
            policy: RangeBanPolicy = RangeBanPolicy(minUnits: 1), key: String = "blocklist:ranges",
            bansKey: String = "ipwatcher:bans:ranges"
        ) {
            self.policy = policy
            self.key = key
            self.bansKey = bansKey
        }
    }

    /// A blocked unit and when its ban ends.
    public struct BlockedUnit: Sendable, Hashable {
        /// The unit the address belongs to, or the banned range that covers it.
        public var unit: DetectionUnit
        /// Unix milliseconds when the ban ends; nil for a ban without end (or one whose expiry is unknown).
        public var expiresAt: Int64?
        /// Whether ``unit`` is a banned range rather than the address's own unit.
        public var isRange: Bool

        /// A ban of `unit` until `expiresAt`; the mirror makes them, tests and custom deciders may too.
        public init(unit: DetectionUnit, expiresAt: Int64?, isRange: Bool = false) {
            self.unit = unit
            self.expiresAt = expiresAt
            self.isRange = isRange
        }
    }

    /// How the copy is doing.
    public struct Status: Sendable, Hashable {
        /// Units in the copy.
        public var units = 0
        /// Banned ranges in the copy.
        public var ranges = 0
        /// Whether the copy may be behind Redis: before the first load, and while the connection is down.
        public var isStale = true
        /// Full loads completed (the first, reconnects and reconciliations).
        public var loads = 0
        /// Block and unblock events applied.
        public var eventsApplied = 0
        /// Set members that are not unit names (added by hand), left out of the copy.
        public var unparsableMembers = 0
        /// Units a reconciliation found different from the copy (an event was missed).
        public var repairedUnits = 0
    }

    /// One block or unblock, from an event.
    enum Change: Sendable {
        case block(DetectionUnit, expiresAt: Int64?, isRange: Bool)
        case unblock(DetectionUnit, isRange: Bool)

        /// Whether the change is to a range rather than a unit.
        var isRange: Bool {
            switch self {
            case .block(_, _, let isRange), .unblock(_, let isRange): isRange
            }
        }
    }

    struct State {
        var units: [DetectionUnit: Int64?] = [:]
        var ranges: [DetectionUnit: Int64?] = [:]
        var status = Status()
        /// Events of this connection not applied yet, because a load is under way; nil while none is.
        var held: [Change]? = []
        /// Whether Redis confirmed this connection's subscription.
        var subscribed = false
        /// The connection in use, for a ``RedisSentinelWatcher`` to close when the master moves.
        var connection: RedisConnection?
    }

    /// The settings in use.
    public let settings: Settings
    let endpoint: RedisEndpoint
    let logger: Logger
    let state = Mutex(State())

    /// A mirror of the blocklist at `endpoint`; nothing connects until ``run()``.
    public init(
        endpoint: RedisEndpoint, settings: Settings = Settings(), logger: Logger = Logger(label: "ipwatcher.web.mirror")
    ) {
        self.endpoint = endpoint
        self.settings = settings
        self.logger = logger
    }

    /// The blocked unit `address` belongs to, or nil when it is not blocked (or not known to be).
    public func blockedUnit(for address: IPAddress) -> BlockedUnit? {
        lookUp(address).ban
    }

    /// ``blockedUnit(for:)`` and ``isStale`` read under one lock: what a request's decision needs, for the price of
    /// one lookup.
    public func lookUp(_ address: IPAddress) -> (ban: BlockedUnit?, isStale: Bool) {
        let unit = DetectionUnit(address: address, ipv4Prefix: settings.ipv4Prefix, ipv6Prefix: settings.ipv6Prefix)
        let range = settings.ranges.map { DetectionUnit(network: $0.policy.range(of: address)) }
        return state.withLock { state in
            if let expiry = state.units[unit] { return (BlockedUnit(unit: unit, expiresAt: expiry), state.status.isStale) }
            if let range, !state.ranges.isEmpty, let expiry = state.ranges[range] {
                return (BlockedUnit(unit: range, expiresAt: expiry, isRange: true), state.status.isStale)
            }
            return (nil, state.status.isStale)
        }
    }

    /// Whether requests from `address` are to be refused.
    public func isBlocked(_ address: IPAddress) -> Bool {
        blockedUnit(for: address) != nil
    }

    /// Whether the copy may be behind Redis (see ``Status/isStale``).
    public var isStale: Bool { state.withLock { $0.status.isStale } }

    /// How the copy is doing now.
    public var status: Status {
        state.withLock { state in
            var status = state.status
            status.units = state.units.count
            status.ranges = state.ranges.count
            return status
        }
    }
}
