import Detection
import Synchronization

/// Running totals of what the worker did, shared by the consumer, the status line and the metrics.
///
/// Updated once per batch, not per entry, so the lock is taken a few times per batch at most.
public final class WorkerStatistics: Sendable {
    /// A consistent copy of the totals.
    public struct Snapshot: Sendable, Hashable {
        /// Entries popped from the queue, valid or not.
        public var popped = 0
        /// Valid entries counted against a unit.
        public var counted = 0
        /// Entries refused, per reason.
        public var rejected: [EntryRejection: Int] = [:]
        /// Valid entries older than one window when they arrived.
        public var stale = 0
        /// Valid entries from allowlisted addresses.
        public var allowlisted = 0
        /// Units added to the blocklist (or, in a dry run, that would have been).
        public var blocked = 0
        /// Units whose ban expired and that were removed from the blocklist.
        public var unblocked = 0
        /// Ranges banned because enough of their units were (``Detection/RangeBanPolicy``).
        public var rangesBlocked = 0
        /// Batches written.
        public var batches = 0
        /// Failed attempts to talk to Redis.
        public var redisErrors = 0
        /// Entries of unfinished batches from an earlier run, counted again at start (at-least-once delivery).
        public var recovered = 0
        /// Write attempts Redis refused for a lasting reason, per step (``BatchWriteRefusal``).
        public var refusals: [BatchWriteRefusal.Step: Int] = [:]
        /// The refusal the worker is stuck on now: set by a refused write, cleared by the next write that
        /// succeeds. Not a total: `/healthz` and the systemd status report it while it lasts.
        public var refusing: BatchWriteRefusal?

        /// Per rule name, what the rule saw and did (``RuleTotals``).
        public var rules: [String: RuleTotals] = [:]

        /// Entries refused for any reason.
        public var rejectedTotal: Int { rejected.values.reduce(0, +) }
    }

    /// What one rule saw and did.
    public struct RuleTotals: Sendable, Hashable {
        /// Units whose count crossed the rule's threshold (whether or not that blocked them).
        public var crossings = 0
        /// Units the rule blocked (in dry run: announced).
        public var blocks = 0
        /// Units whose count entered the near-limit band: at least the near-limit share of the threshold,
        /// still below it.
        public var nearLimit = 0

        /// Totals with the given counts, zero by default.
        public init(crossings: Int = 0, blocks: Int = 0, nearLimit: Int = 0) {
            self.crossings = crossings
            self.blocks = blocks
            self.nearLimit = nearLimit
        }
    }

    private let totals = Mutex(Snapshot())
    private let metrics: WorkerMetrics?

    /// Creates zeroed statistics; `metrics`, if any, also receives each batch's size and write time.
    public init(metrics: WorkerMetrics? = nil) {
        self.metrics = metrics
    }

    /// A copy of the current totals.
    public var snapshot: Snapshot { totals.withLock { $0 } }

    /// Applies a batch's figures in one step.
    public func record(_ update: (inout Snapshot) -> Void) {
        totals.withLock { update(&$0) }
    }

    /// Clears ``Snapshot/refusing`` after a write succeeded; returns whether a refusal was set.
    public func clearRefusal() -> Bool {
        totals.withLock { totals in
            defer { totals.refusing = nil }
            return totals.refusing != nil
        }
    }

    /// Records one written batch: its entries and the time from the first write attempt to success.
    ///
    /// Distributions, unlike totals, cannot be read back from a snapshot, so they go straight to the metrics
    /// histograms; without metrics this does nothing.
    public func recordBatch(entries: Int, duration: Duration) {
        metrics?.recordBatch(entries: entries, duration: duration)
    }
}
