import Logging
import NIOCore
import RedisClient
import ServiceLifecycle
import SystemdNotify

/// The worker loop: pop a batch, prepare it, write it, repeat — until a graceful shutdown, after which it
/// finishes the batch in hand and returns.
///
/// Redis errors never end the loop: a failed pop is retried after a pause, and a batch whose writes failed is
/// written again with the same prepared counts until it succeeds (so an entry may be counted twice across
/// an outage, never silently dropped), unless shutdown comes first. Every turn of the loop, including a pop
/// that found the queue empty and a failed attempt, counts as progress for the systemd watchdog: only a
/// wedged loop stops the pings.
public final class ConsumerService: Service {
    private let popClient: RedisClient
    private let writeClient: RedisClient
    private let settings: WorkerSettings
    private let live: LiveDetectionSettings
    private let statistics: WorkerStatistics
    private let progress: WatchdogProgress
    private let onConsuming: @Sendable () -> Void
    private let workerTag: String
    private let logger: Logger
    private let clock = WallClock()

    /// Creates the loop.
    ///
    /// `popClient` carries the blocking pops and should serve nothing else, since a blocking command holds its
    /// connection; `writeClient` carries counters and blocks. `onConsuming` is called once, when Redis first
    /// answered on the popping connection and the first pop is about to start, so the caller can report
    /// readiness only once the worker really consumes.
    public init(
        popClient: RedisClient, writeClient: RedisClient, settings: WorkerSettings, live: LiveDetectionSettings,
        statistics: WorkerStatistics, progress: WatchdogProgress, workerTag: String, logger: Logger,
        onConsuming: @escaping @Sendable () -> Void = {}
    ) {
        self.popClient = popClient
        self.writeClient = writeClient
        self.settings = settings
        self.live = live
        self.statistics = statistics
        self.progress = progress
        self.workerTag = workerTag
        self.logger = logger
        self.onConsuming = onConsuming
    }

    public func run() async throws {
        let popper = QueuePopper(client: popClient, settings: settings)
        var processor = BatchProcessor(
            client: writeClient, settings: settings, statistics: statistics, workerTag: workerTag, logger: logger)
        await announceWhenRedisAnswers()
        var entries: [ByteBuffer] = []
        while true {
            if entries.isEmpty {
                if isStopping { break }
                entries = await pop(popper)
                continue
            }
            let batch = processor.prepare(entries, detection: live.current, now: clock.nowMilliseconds())
            if isStopping {
                // Finish the batch in hand, and pop nothing more.
                await write(batch, with: processor)
                entries = []
                continue
            }
            // The next pop travels on its own connection while this batch's writes are in flight, so Redis
            // never waits for the worker between batches.
            async let next = pop(popper)
            await write(batch, with: processor)
            entries = await next
        }
        logger.info("consumer stopped")
    }

    private var isStopping: Bool { Task.isCancelled || Task.isShuttingDownGracefully }

    /// Waits until Redis answers on the popping connection, then reports readiness once.
    private func announceWhenRedisAnswers() async {
        var failures = 0
        while !isStopping {
            do {
                _ = try await popClient.send("PING")
                progress.progress()
                onConsuming()
                return
            } catch {
                progress.progress()
                failures += 1
                await pause(after: error, failures: failures, doing: "reach Redis")
            }
        }
    }

    /// One pop, retried after a pause until it reaches Redis or the service stops; empty on timeout or stop.
    private func pop(_ popper: QueuePopper) async -> [ByteBuffer] {
        var failures = 0
        while true {
            do {
                let entries = try await popper.pop()
                progress.progress()
                return entries
            } catch {
                progress.progress()
                if isStopping { return [] }
                failures += 1
                await pause(after: error, failures: failures, doing: "pop from \(settings.queueKey)")
                if isStopping { return [] }
            }
        }
    }

    /// Writes `batch`, retrying until it succeeds or the service is asked to stop.
    private func write(_ batch: PreparedBatch, with processor: BatchProcessor) async {
        let started = ContinuousClock.now
        var failures = 0
        while true {
            do {
                try await processor.write(batch)
                statistics.recordBatch(entries: batch.popped, duration: ContinuousClock.now - started)
                progress.progress()
                return
            } catch {
                progress.progress()
                failures += 1
                if Task.isCancelled || Task.isShuttingDownGracefully {
                    logger.error(
                        "shutting down with a batch not written",
                        metadata: ["entries": "\(batch.popped)", "error": "\(error)"])
                    return
                }
                await pause(after: error, failures: failures, doing: "write a batch of \(batch.popped)")
            }
        }
    }

    /// Logs a Redis failure and waits a little longer each time, up to a second, so an outage is no busy loop.
    private func pause(after error: any Error, failures: Int, doing what: String) async {
        statistics.record { $0.redisErrors += 1 }
        if failures == 1 || failures % 20 == 0 {
            logger.warning("cannot \(what); retrying", metadata: ["error": "\(error)", "failures": "\(failures)"])
        }
        let delay = writeClient.configuration.backoff.delay(attempt: failures)
        try? await Task.sleep(for: delay)
    }
}
