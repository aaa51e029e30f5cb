import Detection
import Logging
import RedisClient

/// Counts again the batches a worker took but did not finish, and releases them: this worker's own from an
/// earlier run (it crashed, or Redis went away as it stopped), before it takes anything new, and those of
/// workers whose lease ran out (``WorkerLease``).
///
/// At-least-once delivery only: at-most-once keeps nothing to recover. Writes go through a ``BatchCommitter``, so
/// a Redis failure is retried like any write of the consumer loop, and recovery stops only when the service does.
struct BatchRecovery: Sendable {
    /// This worker's own processing hashes.
    let own: ProcessingQueuePopper
    /// Carries the takeover: the lease claims and the reads of other workers' hashes.
    let client: RedisRouter
    let settings: WorkerSettings
    let live: LiveDetectionSettings
    /// The lease whose expiry hands a dead worker's batches over; nil when leases are off.
    let lease: WorkerLease?
    /// Names this run's batches; a dead worker's hashes are read with a popper under this tag.
    let runTag: String
    let logger: Logger
    private let leaseLog: RateLimitedLogger
    private let clock = WallClock()

    /// Recovery of `own`, and takeover through `client` when `settings.lease` is set.
    init(
        own: ProcessingQueuePopper, client: RedisRouter, settings: WorkerSettings, live: LiveDetectionSettings,
        runTag: String, logger: Logger
    ) {
        self.own = own
        self.client = client
        self.settings = settings
        self.live = live
        self.lease = settings.lease.map { WorkerLease(client: client, settings: settings, duration: $0) }
        self.runTag = runTag
        self.logger = logger
        self.leaseLog = RateLimitedLogger(logger: logger, limit: 1, interval: .seconds(60))
    }

    /// Counts and releases what an earlier run of this worker left in its processing hashes; false if the service
    /// stopped first.
    @discardableResult
    func recoverOwn(with processor: inout BatchProcessor, committer: BatchCommitter) async -> Bool {
        await recoverUnfinishedBatches(from: own, with: &processor, committer: committer)
    }

    /// Counts and releases the batches of every worker whose lease ran out, then forgets those workers. A failure
    /// to claim is left for the next round: it is Redis being away, which the loop's own pops and writes report.
    func takeOverExpiredLeases(with processor: inout BatchProcessor, committer: BatchCommitter) async {
        guard let lease else { return }
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
            let reader = ProcessingQueuePopper(client: client, settings: deadSettings, runTag: runTag)
            var claimEnd = dead.claimedUntil
            // The claim lasts one lease; each batch first extends it, so a slow takeover is not claimed twice.
            let finished = await recoverUnfinishedBatches(
                from: reader, with: &processor, committer: committer, of: dead.workerID
            ) {
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

    /// Counts again the batches in `processing` that its worker took but did not finish, and releases them: this
    /// worker's own, or those of the worker `owner` whose lease ran out. Returns false if it stopped first.
    ///
    /// `stillMine` is asked before each batch; when it says no, recovery stops there (another worker has the
    /// batches now) and this returns false.
    private func recoverUnfinishedBatches(
        from processing: ProcessingQueuePopper, with processor: inout BatchProcessor, committer: BatchCommitter,
        of owner: String? = nil, stillMine: () async -> Bool = { true }
    ) async -> Bool {
        guard
            let receipts = await committer.retrying(
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
            guard let read = await committer.retrying("read unfinished batch \(receipt)", {
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
                guard await committer.write(batch, with: processor) else { return false }
            }
            guard await committer.acknowledge(popped, source: processing) else { return false }
            recovered += entries.count
        }
        committer.statistics.record { $0.recovered += recovered }
        logger.notice(
            "recovered unfinished batches",
            metadata: ["entries": "\(recovered)", "of_worker_id": "\(owner ?? settings.workerID)"])
        return true
    }
}
