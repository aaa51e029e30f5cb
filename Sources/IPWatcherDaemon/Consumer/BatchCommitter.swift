import Logging
import RedisClient
import SystemdNotify

/// Writes prepared batches and releases them, retrying every Redis failure after a pause until it succeeds or
/// the service stops; shared by the consumer loop (``ConsumerService``) and ``BatchRecovery``.
///
/// Every attempt counts as progress for the systemd watchdog: a loop that keeps retrying an absent Redis is
/// alive, only a wedged one stops the pings.
struct BatchCommitter: Sendable {
    /// For the log line of a batch left unwritten at shutdown: where it is kept depends on the delivery.
    let settings: WorkerSettings
    /// Counts written batches, Redis errors and refusals.
    let statistics: WorkerStatistics
    /// Pinged after every attempt, failed or not.
    let progress: WatchdogProgress
    /// The pause after the n-th failure in a row.
    let backoff: RedisBackoff
    let logger: Logger
    /// Logs refusals (``BatchWriteRefusal``), at most once a minute: they repeat every second until fixed.
    let refusalLog: RateLimitedLogger

    /// How often a write Redis refused for a lasting reason is tried again.
    static let refusalRetryInterval: Duration = .seconds(1)

    /// Whether the calling task is asked to stop: then nothing is retried any more.
    var isStopping: Bool { Task.isCancelled || Task.isShuttingDownGracefully }

    /// Writes `batch`, then releases its entries from the processing hash; an unwritten batch stays there.
    func finish(
        _ batch: PreparedBatch, popped: PoppedBatch, source: any BatchSource, with processor: BatchProcessor
    ) async {
        guard await write(batch, with: processor) else { return }
        _ = await acknowledge(popped, source: source)
    }

    /// Writes `batch`, retrying until it succeeds (true) or the service is asked to stop (false).
    ///
    /// Each retry writes only what the last attempt did not (``BatchWriteProgress``). While Redis refuses a step
    /// for a lasting reason (``BatchWriteRefusal``), the batch is kept and the step tried again every
    /// ``refusalRetryInterval``, so the worker resumes by itself once an operator removed the cause.
    func write(_ batch: PreparedBatch, with processor: BatchProcessor) async -> Bool {
        let started = ContinuousClock.now
        var batch = batch
        let written: Void? = await retrying("write a batch of \(batch.popped)") { try await processor.write(&batch) }
        if written != nil {
            statistics.recordBatch(entries: batch.popped, duration: ContinuousClock.now - started)
            if statistics.clearRefusal() { logger.notice("Redis accepts the worker's writes again") }
        } else {
            logger.error(
                "shutting down with a batch not written",
                metadata: [
                    "entries": "\(batch.popped)",
                    "kept": "\(settings.delivery == .atLeastOnce ? "in the processing hash, for the next start" : "no")",
                ])
        }
        return written != nil
    }

    /// Releases a written batch, retrying until it succeeds (true) or the service stops (false), in which
    /// case the next start counts the batch again.
    func acknowledge(_ popped: PoppedBatch, source: any BatchSource) async -> Bool {
        guard popped.receipt != nil else { return true }
        return await retrying("release a written batch") { try await source.acknowledge(popped) } != nil
    }

    /// Runs `operation` until it succeeds, pausing after each failure; nil once the service is stopping.
    func retrying<Result>(
        _ what: @autoclosure () -> String, _ operation: () async throws -> Result
    ) async -> Result? {
        var failures = 0
        while true {
            do {
                let result = try await operation()
                progress.progress()
                return result
            } catch {
                progress.progress()
                if isStopping { return nil }
                failures += 1
                await pause(after: error, failures: failures, doing: what())
                if isStopping { return nil }
            }
        }
    }

    /// Logs a Redis failure and waits a little longer each time, up to a second, so an outage is no busy loop.
    ///
    /// A refusal (``BatchWriteRefusal``) is logged once a minute with the key it names, counted per step, and
    /// reported by `/healthz` until a write succeeds.
    func pause(after error: any Error, failures: Int, doing what: String) async {
        if let refusal = error as? BatchWriteRefusal {
            statistics.record { totals in
                totals.refusals[refusal.step, default: 0] += 1
                totals.refusing = refusal
            }
            refusalLog.log(
                level: .error, "Redis refuses a write; the batch is kept and the write tried again every second",
                metadata: [
                    "step": "\(refusal.step.rawValue)", "key": "\(refusal.key)", "error": "\(refusal.error.message)",
                    "failures": "\(failures)",
                ])
            try? await Task.sleep(for: Self.refusalRetryInterval)
            return
        }
        statistics.record { $0.redisErrors += 1 }
        if failures == 1 || failures % 20 == 0 {
            logger.warning("cannot \(what); retrying", metadata: ["error": "\(error)", "failures": "\(failures)"])
        }
        try? await Task.sleep(for: backoff.delay(attempt: failures))
    }
}
