import Detection
import IPWatcherDaemon
import RedisClient

/// What the `blocklist` subcommands do, whichever executor the store runs on: a connection to one server, or a
/// router to a Redis Cluster.
protocol BlocklistOperations: Sendable {
    /// Every blocked unit with its expiry (Unix milliseconds, nil for permanent), sorted by name.
    func listUnits() async throws -> [(unit: String, expiresAt: Int64?)]
    /// The unit and its expiry if it is blocked.
    func lookupUnit(_ unit: String) async throws -> (unit: String, expiresAt: Int64?)?
    /// Blocks `unit` for `banSeconds` from `now` (0: for good).
    func add(_ unit: String, banSeconds: Int, now: Int64) async throws
    /// Unblocks `unit`; returns whether it was blocked. `rangeUnitsKey`, if given, forgets the ban there too.
    func remove(_ unit: String, rangeUnitsKey: String?) async throws -> Bool
    /// Why `unit` is or is not blocked.
    func explain(address: IPAddress?, unit: DetectionUnit, settings: WorkerSettings, now: Int64) async throws
        -> UnitExplanation
}

extension BlocklistStore: BlocklistOperations {
    func listUnits() async throws -> [(unit: String, expiresAt: Int64?)] {
        try await list().map { ($0.unit, $0.expiresAt) }
    }

    func lookupUnit(_ unit: String) async throws -> (unit: String, expiresAt: Int64?)? {
        try await lookup(unit).map { ($0.unit, $0.expiresAt) }
    }
}

/// The stores a `blocklist` subcommand works on: the units, and with range bans on the ranges.
struct BlocklistStores {
    /// The blocklist set and its expiry index.
    let units: any BlocklistOperations
    /// The ranges set and its expiry index; nil while range bans are off (`blocklist.ranges.min_units: 0`).
    let ranges: (any BlocklistOperations)?
}
