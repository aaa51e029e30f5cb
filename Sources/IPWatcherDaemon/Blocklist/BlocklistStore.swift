import Detection
import RESP
import RedisClient

/// Reads and edits the blocklist set and its expiry index by hand, for operators and tools.
///
/// The worker adds units through ``BlocklistScripts/ban``; this type keeps the same two keys in step, so a
/// unit added here expires like any other and a unit removed here leaves no expiry behind.
///
/// `Executor` is a connection or client of one server, or for a single server or a Redis Cluster alike the
/// ``RedisRouter/SlotExecutor`` that ``init(router:blocklistKey:bansKey:)`` makes: every command then goes where
/// the blocklist key lives, which in a cluster must be where the ban set lives too (``WorkerSettings/bansKey``
/// tags it so), and each pipeline is one pipeline to that node. The web tier's check stays one
/// `SISMEMBER <blocklist> <unit>`.
///
/// With an events channel every change is announced there as the worker announces its blocks, so the web tier's
/// mirrors see a block added or lifted by hand at once: `{"event":"block","unit":…,"expires_at":…,"at":…,
/// "manual":true}` after ``add(_:banSeconds:now:)`` (also when it only changes the expiry) and
/// `{"event":"unblock","unit":…,"at":…}` after a ``remove(_:rangeUnitsKey:)`` that removed something. The event
/// follows the change in the same pipeline; if Redis refuses it (an ACL without `PUBLISH`), the change stands and
/// the mirrors pick it up at their next reconciliation.
///
/// The banned ranges (``Detection/RangeBanPolicy``) are a set with an expiry index of their own: a store over
/// those two keys made with `announcesRanges` edits them the same way, and its events carry `"range":true`.
public struct BlocklistStore<Executor: RedisCommandExecutor>: Sendable {
    /// One blocked unit.
    public struct Entry: Sendable, Hashable {
        /// The unit's canonical name.
        public let unit: String
        /// When the ban ends, in Unix milliseconds; nil for a permanent ban.
        public let expiresAt: Int64?
    }

    private let client: Executor
    private let blocklistKey: String
    private let bansKey: String
    private let eventsChannel: String?
    private let banInfoKey: String?
    private let announcesRanges: Bool

    /// Creates a store over the worker's keys; `eventsChannel` (the worker's `detection.events_channel`) hears
    /// every change, nil announces nothing; `banInfoKey` (``WorkerSettings/banInfoKey``), if given, gets the
    /// details of a ban added by hand and loses those of a ban removed. With `announcesRanges` the keys are the
    /// ranges set and its expiry index (``WorkerSettings/rangesKey``, ``WorkerSettings/rangeBansKey``), and every
    /// event says `"range":true`.
    public init(
        client: Executor, blocklistKey: String, bansKey: String, eventsChannel: String? = nil,
        banInfoKey: String? = nil, announcesRanges: Bool = false
    ) {
        self.client = client
        self.blocklistKey = blocklistKey
        self.bansKey = bansKey
        self.eventsChannel = eventsChannel
        self.banInfoKey = banInfoKey
        self.announcesRanges = announcesRanges
    }

    /// The details the worker recorded for the unit's ban (JSON `{"rule":…,"since":…,"offence":…}`, or
    /// `{"manual":true,"since":…}` for a ban added by hand); nil when none is recorded or no details key is set.
    public func details(of unit: String) async throws -> String? {
        guard let banInfoKey else { return nil }
        return try await client.send(RESPCommand("HGET", banInfoKey, unit)).throwingServerError().string
    }

    /// Every blocked unit with its expiry, sorted by name.
    public func list() async throws -> [Entry] {
        let members = try await client.send("SMEMBERS", blocklistKey)
        let units = (members.array.map(Array.init) ?? []).compactMap(\.string).sorted()
        guard !units.isEmpty else { return [] }
        var encoder = RESPCommandEncoder()
        for unit in units { encoder.encode("ZSCORE", bansKey, unit) }
        let scores = try await client.pipeline(encoder)
        return zip(units, scores).map { unit, score in
            Entry(unit: unit, expiresAt: score.double.flatMap(Self.milliseconds))
        }
    }

    /// The unit's entry if it is blocked.
    public func lookup(_ unit: String) async throws -> Entry? {
        var encoder = RESPCommandEncoder()
        encoder.encode("SISMEMBER", blocklistKey, unit)
        encoder.encode("ZSCORE", bansKey, unit)
        let replies = try await client.pipeline(encoder)
        guard replies.count == 2, try replies[0].throwingServerError().bool == true else { return nil }
        return Entry(unit: unit, expiresAt: replies[1].double.flatMap(Self.milliseconds))
    }

    /// Blocks `unit` for `banSeconds` from `now` (0: for good), replacing any expiry it had.
    public func add(_ unit: String, banSeconds: Int, now: Int64) async throws {
        var commands = [RESPCommand("SADD", blocklistKey, unit)]
        let expiresAt = BanExpiry.expiresAt(now: now, banSeconds: banSeconds)
        if let expiresAt {
            commands.append(RESPCommand("ZADD", bansKey, expiresAt, unit))
        } else {
            commands.append(RESPCommand("ZREM", bansKey, unit))
        }
        if let banInfoKey {
            var details = JSONObjectWriter(capacity: 48)
            details.add("manual", true)
            details.add("since", now)
            commands.append(RESPCommand("HSET", banInfoKey, unit, details.json))
        }
        if let eventsChannel {
            var event = JSONObjectWriter()
            event.add("event", "block")
            event.add("unit", unit)
            if announcesRanges { event.add("range", true) }
            event.add("expires_at", expiresAt)
            event.add("at", now)
            event.add("manual", true)
            commands.append(RESPCommand("PUBLISH", eventsChannel, event.json))
        }
        for reply in try await client.pipeline(commands) { _ = try reply.throwingServerError() }
    }

    /// Why `unit` (of `address`, if one was given) is or is not blocked, read over this store's connection at
    /// `now`; see ``UnitExplanation``. `settings` names the counters, the rules and the ban keys.
    public func explain(
        address: IPAddress?, unit: DetectionUnit, settings: WorkerSettings, now: Int64
    ) async throws -> UnitExplanation {
        try await UnitExplanation.gather(for: address, unit: unit, settings: settings, on: client, now: now)
    }

    /// A ban score as Unix milliseconds, pinned to `Int64`'s range; nil for NaN. Someone may `ZADD` any score by
    /// hand, `+inf` included, and `Int64(_:)` traps on those.
    private static func milliseconds(_ score: Double) -> Int64? {
        if score.isNaN { return nil }
        if score >= 0x1p63 { return .max }
        if score <= -0x1p63 { return .min }
        return Int64(score)
    }

    /// Unblocks `unit`; returns whether it was blocked. `rangeUnitsKey` (``WorkerSettings/rangeUnitsKey(rangeName:)``
    /// of the unit's range), if given, forgets the ban there too, so it no longer counts towards a range ban.
    @discardableResult
    public func remove(_ unit: String, rangeUnitsKey: String? = nil) async throws -> Bool {
        var commands = [RESPCommand("SREM", blocklistKey, unit), RESPCommand("ZREM", bansKey, unit)]
        if let banInfoKey { commands.append(RESPCommand("HDEL", banInfoKey, unit)) }
        if let rangeUnitsKey { commands.append(RESPCommand("ZREM", rangeUnitsKey, unit)) }
        let replies = try await client.pipeline(commands)
        let removed = try replies.first?.throwingServerError().int == 1
        if removed, let eventsChannel {
            var event = JSONObjectWriter()
            event.add("event", "unblock")
            event.add("unit", unit)
            if announcesRanges { event.add("range", true) }
            event.add("at", WallClock().nowMilliseconds())
            _ = try await client.send(RESPCommand("PUBLISH", eventsChannel, event.json)).throwingServerError()
        }
        return removed
    }
}

extension BlocklistStore where Executor == RedisRouter.SlotExecutor {
    /// A store over a single server or a Redis Cluster, every command routed by `blocklistKey`.
    ///
    /// In a cluster `bansKey` must be in the blocklist key's slot, as ``WorkerSettings/bansKey`` is; a key of
    /// another slot would still work, one `MOVED` redirection per command, so do not pass the plain ban key.
    public init(
        router: RedisRouter, blocklistKey: String, bansKey: String, eventsChannel: String? = nil,
        banInfoKey: String? = nil, announcesRanges: Bool = false
    ) {
        self.init(
            client: router.executor(routingBy: blocklistKey), blocklistKey: blocklistKey, bansKey: bansKey,
            eventsChannel: eventsChannel, banInfoKey: banInfoKey, announcesRanges: announcesRanges)
    }
}
