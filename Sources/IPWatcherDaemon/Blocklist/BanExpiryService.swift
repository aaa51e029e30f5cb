import Detection
import Logging
import RESP
import RedisClient
import ServiceLifecycle

/// Lifts bans when they end: several times a second, removes every unit whose expiry time has passed from
/// the blocklist set and the expiry index, in one script call, and logs each.
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
                } while removed == Self.perCall
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

    /// Lifts the bans that ended at or before `now`; returns how many.
    ///
    /// A reply with more than ``perCall`` units throws ``ReplySizeError`` and counts as a Redis error,
    /// without logging or counting any of its units as unblocked.
    @discardableResult
    public func expireOnce(now: Int64) async throws -> Int {
        let reply = try await client.evaluate(
            BlocklistScripts.expire, keys: [settings.blocklistKey, settings.bansKey, settings.banInfoKey],
            arguments: ["\(now)", "\(Self.perCall)", settings.eventsChannel ?? ""])
        guard let units = reply.array, !units.isEmpty else { return 0 }
        do {
            try ReplySizeError.check(units.count, limit: Self.perCall, command: "ban-expiry script")
        } catch {
            statistics.record { $0.redisErrors += 1 }
            throw error
        }
        for unit in units {
            // The unit only in metadata, quoted there: a member added by hand may hold text that reads as more fields.
            logger.notice("ban ended: unblocking", metadata: ["unit": "\(unit.string ?? "?")"])
        }
        statistics.record { $0.unblocked += units.count }
        return units.count
    }
}
