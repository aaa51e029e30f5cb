import Detection
import Logging
import NIOCore
import RESP
import RedisClient
import ServiceLifecycle
import SystemdNotify

/// The worker loop: pop a batch from its ``BatchSource``, prepare it, write it, repeat — until a graceful
/// shutdown, after which it finishes the batch in hand and returns.
///
/// Redis errors never end the loop: a failed pop is retried after a pause, and a batch whose writes failed is
/// written again with the same prepared counts until it succeeds (so an entry may be counted twice across
/// an outage, never silently dropped), unless shutdown comes first. Only a missing function library ends it,
/// before it starts (``RedisClient/RedisFunctionsMissingError``). With at-least-once delivery a batch stays
/// in the worker's processing hash until it is written, and a start first counts whatever an earlier run left
/// there (``BatchRecovery``), so neither a crash nor a shutdown with Redis away loses entries. Every turn of the loop, including a pop
/// that found the queue empty and a failed attempt, counts as progress for the systemd watchdog: only a
/// wedged loop stops the pings.
public final class ConsumerService: Service {
    private let source: any BatchSource
    private let recovery: BatchRecovery?
    private let popClient: RedisRouter
    private let writeClient: RedisRouter
    private let settings: WorkerSettings
    private let live: LiveDetectionSettings
    private let statistics: WorkerStatistics
    private let committer: BatchCommitter
    private let onConsuming: @Sendable () -> Void
    private let logger: Logger
    private let clock = WallClock()

    /// Creates the loop over `source`, which pops on `popClient`; `recovery` recovers and takes over unfinished
    /// batches (at-least-once delivery), nil when there are none to look for.
    ///
    /// `popClient` carries the blocking pops and should serve nothing else, since a blocking command holds its
    /// connection; `writeClient` carries counters and blocks. `onConsuming` is called once, when Redis first
    /// answered on the popping connection and the first pop is about to start, so the caller can report
    /// readiness only once the worker really consumes.
    init(
        source: any BatchSource, recovery: BatchRecovery?, popClient: RedisRouter, writeClient: RedisRouter,
        settings: WorkerSettings, live: LiveDetectionSettings, statistics: WorkerStatistics,
        progress: WatchdogProgress, logger: Logger, onConsuming: @escaping @Sendable () -> Void = {}
    ) {
        self.source = source
        self.recovery = recovery
        self.popClient = popClient
        self.writeClient = writeClient
        self.settings = settings
        self.live = live
        self.statistics = statistics
        self.committer = BatchCommitter(
            settings: settings, statistics: statistics, progress: progress,
            backoff: writeClient.configuration.backoff, logger: logger,
            refusalLog: RateLimitedLogger(logger: logger, limit: 1, interval: .seconds(60)))
        self.logger = logger
        self.onConsuming = onConsuming
    }

    public func run() async throws {
        let popClient = self.popClient
        let writeClient = self.writeClient
        try await withGracefulShutdownHandler {
            try await consume()
        } onGracefulShutdown: {
            // With Redis away, a pop or write would wait up to the command timeout for a connection before the
            // loop could notice the shutdown; the batch in hand stays in the processing hash instead.
            popClient.stopWaitingForConnection()
            writeClient.stopWaitingForConnection()
        }
        logger.info("consumer stopped")
    }

    /// The loop itself: recover, then pop, prepare and write until shutdown; throws only
    /// ``RedisClient/RedisFunctionsMissingError``, which no retry can fix.
    private func consume() async throws {
        var processor = BatchProcessor(
            client: writeClient, settings: settings, statistics: statistics, logger: logger)
        try await announceWhenRedisAnswers()
        await recovery?.recoverOwn(with: &processor, committer: committer)
        var nextTakeover = ContinuousClock.now
        var popped = PoppedBatch.empty
        // `popped` prepared ahead, while the batch before it was being written.
        var prepared: PreparedBatch?
        while true {
            if let recovery, let lease = recovery.lease, ContinuousClock.now >= nextTakeover, !isStopping {
                await recovery.takeOverExpiredLeases(with: &processor, committer: committer)
                nextTakeover = .now + lease.duration / 3
            }
            if popped.entries.isEmpty {
                if isStopping { break }
                popped = await pop()
                continue
            }
            let batch = prepared ?? processor.prepare(popped.entries, detection: live.current, now: clock.nowMilliseconds())
            prepared = nil
            if isStopping {
                // Finish the batch in hand, and pop nothing more.
                await committer.finish(batch, popped: popped, source: source, with: processor)
                popped = .empty
                continue
            }
            // The next pop travels on its own connection while this batch's writes are in flight, and the next
            // batch is parsed and added up meanwhile, so Redis waits for the worker neither between batches nor
            // while it prepares one. Writes stay in order: the next batch is written after this one.
            let writer = processor
            let inHand = popped
            async let written: Void = committer.finish(batch, popped: inHand, source: source, with: writer)
            let next = await pop()
            if !next.entries.isEmpty, !isStopping {
                prepared = processor.prepare(next.entries, detection: live.current, now: clock.nowMilliseconds())
            }
            await written
            popped = next
        }
    }

    private var isStopping: Bool { committer.isStopping }

    /// Waits until Redis answers on the popping connection, then reports readiness once.
    ///
    /// With `redis.scripts: functions` the worker's library must be loaded first: otherwise this throws
    /// ``RedisClient/RedisFunctionsMissingError`` and the worker exits, since waiting would look healthy to
    /// systemd while the queue grows, and only an operator running `install-functions` can fix it.
    private func announceWhenRedisAnswers() async throws {
        var failures = 0
        while !isStopping {
            do {
                _ = try await popClient.sendToAnyNode(RESPCommand("PING"))
                try await popClient.checkFunctionsInstalled()
                committer.progress.progress()
                onConsuming()
                return
            } catch let error as RedisFunctionsMissingError {
                throw error
            } catch {
                committer.progress.progress()
                failures += 1
                await committer.pause(after: error, failures: failures, doing: "reach Redis")
            }
        }
    }

    /// One pop, retried after a pause until it reaches Redis or the service stops; empty on timeout or stop.
    private func pop() async -> PoppedBatch {
        await committer.retrying("pop from \(settings.queueKey)", { try await source.pop() }) ?? .empty
    }
}
