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
        var popper = QueuePopper(client: popClient, settings: settings)
        var processor = BatchProcessor(
            client: writeClient, settings: settings, statistics: statistics, workerTag: workerTag, logger: logger)
        var failures = 0
        var announced = false
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let entries: [ByteBuffer]
            do {
                if !announced {
                    // Readiness means Redis answered on the connection that pops; don't wait a block timeout for it.
                    _ = try await popClient.send("PING")
                    announced = true
                    onConsuming()
                }
                entries = try await popper.pop()
                failures = 0
                progress.progress()
            } catch {
                progress.progress()
                failures += 1
                await pause(after: error, failures: failures, doing: "pop from \(settings.queueKey)")
                continue
            }
            guard !entries.isEmpty else { continue }
            let batch = processor.prepare(entries, detection: live.current, now: clock.nowMilliseconds())
            await write(batch, with: processor)
        }
        logger.info("consumer stopped")
    }

    /// Writes `batch`, retrying until it succeeds or the service is asked to stop.
    private func write(_ batch: PreparedBatch, with processor: BatchProcessor) async {
        var failures = 0
        while true {
            do {
                try await processor.write(batch)
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
