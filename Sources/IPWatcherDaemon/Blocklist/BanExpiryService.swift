import Detection
import Logging
import RESP
import RedisClient
import ServiceLifecycle

/// Lifts bans when they end: several times a second, removes every unit whose expiry time has passed from
/// the blocklist set and the expiry index, and with range bans on every such range from the ranges set, in one
/// script call, and logs each.
///
/// Expiry lives in a sorted set beside the blocklist because members of a Redis set cannot expire one by
/// one; checking every 250 ms keeps an expired unit in the set for well under a second.
public struct BanExpiryService: Service {
    private let client: RedisRouter
    private let settings: WorkerSettings
    private let statistics: WorkerStatistics
    private let logger: Logger
    private let interval: Duration
    private let clock = WallClock()
    private let failureLog: RateLimitedLogger

    /// Creates the service; `interval` is how often it looks for ended bans.
    public init(
        client: RedisRouter, settings: WorkerSettings, statistics: WorkerStatistics, logger: Logger,
        interval: Duration = .milliseconds(250)
    ) {
        self.client = client
        self.settings = settings
        self.statistics = statistics
        self.logger = logger
        self.interval = interval
        self.failureLog = RateLimitedLogger(logger: logger, limit: 1, interval: .seconds(30))
    }

    public func run() async throws {
        // Cancelling on graceful shutdown interrupts the pause between rounds, so shutdown never waits for it.
        await cancelWhenGracefulShutdown { await loop() }
    }

    private func loop() async {
        while !Task.isCancelled {
            do {
                var removed = 0
                repeat {
                    removed = try await expireOnce(now: clock.nowMilliseconds())
                } while removed >= Self.perCall
            } catch {
                // Usually Redis being away, which the consumer reports too; but a missing ACL permission would
                // otherwise go unnoticed, so say it at warning level, sparingly.
                failureLog.log(level: .warning, "cannot lift ended bans yet", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: interval)
        }
    }

    /// Most units lifted per script call, so one call never holds Redis for long.
    static let perCall = 500

    /// Lifts the bans that ended at or before `now`, units and ranges; returns how many.
    ///
    /// A reply with more than ``perCall`` units (twice that with range bans on) throws ``ReplySizeError`` and
    /// counts as a Redis error, without logging or counting any of its units as unblocked.
    @discardableResult
    public func expireOnce(now: Int64) async throws -> Int {
        var keys = [settings.blocklistKey, settings.bansKey, settings.banInfoKey]
        if settings.ranges.isOn { keys += [settings.rangeBansKey, settings.rangesKey] }
        let reply = try await client.evaluate(
            BlocklistScripts.expire, keys: keys, arguments: ["\(now)", "\(Self.perCall)", settings.eventsChannel ?? ""])
        guard let members = reply.array, !members.isEmpty else { return 0 }
        do {
            try ReplySizeError.check(
                members.count, limit: Self.perCall * (settings.ranges.isOn ? 2 : 1), command: "ban-expiry script")
        } catch {
            statistics.record { $0.redisErrors += 1 }
            throw error
        }
        var units = 0
        for member in members {
            let name = member.string ?? "?"
            // A range is never a unit's length (configuration refuses that), so its length tells them apart.
            if settings.ranges.isOn, let network = IPNetwork(name), settings.ranges.isRange(network) {
                logger.notice("range ban ended: unblocking", metadata: ["range": "\(name)"])
                continue
            }
            // The unit only in metadata, quoted there: a member added by hand may hold text that reads as more fields.
            logger.notice("ban ended: unblocking", metadata: ["unit": "\(name)"])
            units += 1
        }
        statistics.record { $0.unblocked += units }
        return members.count
    }
}
