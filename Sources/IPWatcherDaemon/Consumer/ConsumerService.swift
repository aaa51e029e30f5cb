import Logging
import NIOCore
import RESP
import RedisClient
import ServiceLifecycle
import SystemdNotify

/// The worker loop: pop a batch, prepare it, write it, repeat — until a graceful shutdown, after which it
/// finishes the batch in hand and returns.
///
/// Redis errors never end the loop: a failed pop is retried after a pause, and a batch whose writes failed is
/// written again with the same prepared counts until it succeeds (so an entry may be counted twice across
/// an outage, never silently dropped), unless shutdown comes first. Only a missing function library ends it,
/// before it starts (``RedisClient/RedisFunctionsMissingError``). With at-least-once delivery a batch stays
/// in the worker's processing hash until it is written, and a start first counts whatever an earlier run left
/// there, so neither a crash nor a shutdown with Redis away loses entries. Every turn of the loop, including a pop
/// that found the queue empty and a failed attempt, counts as progress for the systemd watchdog: only a
/// wedged loop stops the pings.
public final class ConsumerService: Service {
    private let popClient: RedisRouter
    private let writeClient: RedisRouter
    private let settings: WorkerSettings
    private let live: LiveDetectionSettings
    private let statistics: WorkerStatistics
    private let progress: WatchdogProgress
    private let onConsuming: @Sendable () -> Void
    private let workerTag: String
    private let logger: Logger
    private let clock = WallClock()
    private let leaseLog: RateLimitedLogger
    private let refusalLog: RateLimitedLogger

    /// Creates the loop.
    ///
    /// `popClient` carries the blocking pops and should serve nothing else, since a blocking command holds its
    /// connection; `writeClient` carries counters and blocks. `onConsuming` is called once, when Redis first
    /// answered on the popping connection and the first pop is about to start, so the caller can report
    /// readiness only once the worker really consumes.
    public init(
        popClient: RedisRouter, writeClient: RedisRouter, settings: WorkerSettings, live: LiveDetectionSettings,
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
        self.leaseLog = RateLimitedLogger(logger: logger, limit: 1, interval: .seconds(60))
        self.refusalLog = RateLimitedLogger(logger: logger, limit: 1, interval: .seconds(60))
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
        let source: any BatchSource
        var processing: ProcessingQueuePopper?
        switch settings.delivery {
        case .atLeastOnce:
            let popper = ProcessingQueuePopper(client: popClient, settings: settings, runTag: workerTag)
            processing = popper
            source = popper
        case .atMostOnce:
            source = QueuePopper(client: popClient, settings: settings)
        }
        var processor = BatchProcessor(
            client: writeClient, settings: settings, statistics: statistics, logger: logger)
        try await announceWhenRedisAnswers()
        if let processing {
            await recoverUnfinishedBatches(from: processing, with: &processor)
        }
        let lease = processing == nil ? nil : settings.lease.map {
            WorkerLease(client: writeClient, settings: settings, duration: $0)
        }
        var nextTakeover = ContinuousClock.now
        var popped = PoppedBatch.empty
        while true {
            if let lease, ContinuousClock.now >= nextTakeover, !isStopping {
                await takeOverExpiredLeases(lease, with: &processor)
                nextTakeover = .now + lease.duration / 3
            }
            if popped.entries.isEmpty {
                if isStopping { break }
                popped = await pop(source)
                continue
            }
            let batch = processor.prepare(popped.entries, detection: live.current, now: clock.nowMilliseconds())
            if isStopping {
                // Finish the batch in hand, and pop nothing more.
                await finish(batch, popped: popped, source: source, with: processor)
                popped = .empty
                continue
            }
            // The next pop travels on its own connection while this batch's writes are in flight, so Redis
            // never waits for the worker between batches.
            async let next = pop(source)
            await finish(batch, popped: popped, source: source, with: processor)
            popped = await next
        }
    }

    private var isStopping: Bool { Task.isCancelled || Task.isShuttingDownGracefully }

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
                progress.progress()
                onConsuming()
                return
            } catch let error as RedisFunctionsMissingError {
                throw error
            } catch {
                progress.progress()
                failures += 1
                await pause(after: error, failures: failures, doing: "reach Redis")
            }
        }
    }

    /// Counts and releases the batches of every worker whose lease ran out (``WorkerLease``), then forgets
    /// those workers. A failure to claim is left for the next round: it is Redis being away, which the loop's
    /// own pops and writes report.
    private func takeOverExpiredLeases(_ lease: WorkerLease, with processor: inout BatchProcessor) async {
        let claimed: [(workerID: String, claimedUntil: String)]
        do {
            claimed = try await lease.claimExpired()
        } catch {
            // Redis away is reported by the loop's own pops and writes; a refusal (an ACL without +time) is not.
            leaseLog.log(
                level: (error as? RedisError)?.serverErrorCode == nil ? .debug : .warning,
                "cannot look for workers whose lease ran out", metadata: ["error": "\(error)"])
            return
        }
        for dead in claimed {
            var deadSettings = settings
            deadSettings.workerID = dead.workerID
            let reader = ProcessingQueuePopper(client: writeClient, settings: deadSettings, runTag: workerTag)
            var claimEnd = dead.claimedUntil
            // The claim lasts one lease; each batch first extends it, so a slow takeover is not claimed twice.
            let finished = await recoverUnfinishedBatches(from: reader, with: &processor, of: dead.workerID) {
                guard let extended = try? await lease.extendClaim(dead.workerID, claimedUntil: claimEnd) else {
                    return false
                }
                claimEnd = extended
                return true
            }
            guard finished else { continue }
            do {
                try await lease.forget(dead.workerID, claimedUntil: claimEnd)
            } catch {
                logger.debug("cannot forget a taken-over worker", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Counts again the batches in `processing` that a worker took but did not finish, and releases them: this
    /// worker's own from an earlier run (it crashed, or Redis went away as it stopped), before taking anything new,
    /// or those of the worker `owner` whose lease ran out. Returns false if it stopped first.
    ///
    /// `stillMine` is asked before each batch; when it says no, recovery stops there (another worker has the
    /// batches now) and this returns false.
    @discardableResult
    private func recoverUnfinishedBatches(
        from processing: ProcessingQueuePopper, with processor: inout BatchProcessor, of owner: String? = nil,
        stillMine: () async -> Bool = { true }
    ) async -> Bool {
        guard
            let receipts = await retrying(
                "list unfinished batches in \(processing.processingKeys.joined(separator: ", "))",
                { try await processing.unfinishedBatches() })
        else { return false }
        guard !receipts.isEmpty else { return true }
        if let owner {
            logger.notice(
                "taking over the unfinished batches of a worker whose lease ran out",
                metadata: ["batches": "\(receipts.count)", "from_worker_id": "\(owner)"])
        } else {
            logger.notice(
                "recovering unfinished batches of an earlier run",
                metadata: ["batches": "\(receipts.count)", "worker_id": "\(settings.workerID)"])
        }
        var recovered = 0
        for receipt in receipts {
            guard await stillMine() else {
                logger.notice(
                    "another worker took over these batches", metadata: ["of_worker_id": "\(owner ?? settings.workerID)"])
                return false
            }
            guard let read = await retrying("read unfinished batch \(receipt)", {
                try await processing.entries(of: receipt)
            })
            else { return false }
            let entries = read ?? []
            if read == nil {
                logger.error(
                    "dropping an unreadable unfinished batch: its value in Redis is not a batch",
                    metadata: ["key": "\(processing.shards[receipt.shard].processing)", "field": "\(receipt.name)"])
            }
            let popped = PoppedBatch(entries: entries, receipt: receipt)
            if !entries.isEmpty {
                let batch = processor.prepare(entries, detection: live.current, now: clock.nowMilliseconds())
                guard await write(batch, with: processor) else { return false }
            }
            guard await acknowledge(popped, source: processing) else { return false }
            recovered += entries.count
        }
        statistics.record { $0.recovered += recovered }
        logger.notice(
            "recovered unfinished batches",
            metadata: ["entries": "\(recovered)", "of_worker_id": "\(owner ?? settings.workerID)"])
        return true
    }

    /// One pop, retried after a pause until it reaches Redis or the service stops; empty on timeout or stop.
    private func pop(_ source: any BatchSource) async -> PoppedBatch {
        await retrying("pop from \(settings.queueKey)", { try await source.pop() }) ?? .empty
    }

    /// Writes `batch`, then releases its entries from the processing hash; an unwritten batch stays there.
    private func finish(
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
    private func write(_ batch: PreparedBatch, with processor: BatchProcessor) async -> Bool {
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
    private func acknowledge(_ popped: PoppedBatch, source: any BatchSource) async -> Bool {
        guard popped.receipt != nil else { return true }
        return await retrying("release a written batch") { try await source.acknowledge(popped) } != nil
    }

    /// Runs `operation` until it succeeds, pausing after each failure; nil once the service is stopping.
    ///
    /// Every attempt counts as progress for the watchdog: a loop that keeps retrying an absent Redis is alive.
    private func retrying<Result>(
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

    /// How often a write Redis refused for a lasting reason is tried again.
    static let refusalRetryInterval: Duration = .seconds(1)

    /// Logs a Redis failure and waits a little longer each time, up to a second, so an outage is no busy loop.
    ///
    /// A refusal (``BatchWriteRefusal``) is logged once a minute with the key it names, counted per step, and
    /// reported by `/healthz` until a write succeeds.
    private func pause(after error: any Error, failures: Int, doing what: String) async {
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
        let delay = writeClient.configuration.backoff.delay(attempt: failures)
        try? await Task.sleep(for: delay)
    }
}
