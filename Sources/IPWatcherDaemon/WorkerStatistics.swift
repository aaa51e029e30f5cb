import Detection
import Synchronization

/// Running totals of what the worker did, shared by the consumer, the status line and (later) metrics.
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
        /// Batches written.
        public var batches = 0
        /// Failed attempts to talk to Redis.
        public var redisErrors = 0

        /// Entries refused for any reason.
        public var rejectedTotal: Int { rejected.values.reduce(0, +) }
    }

    private let totals = Mutex(Snapshot())

    /// Creates zeroed statistics.
    public init() {}

    /// A copy of the current totals.
    public var snapshot: Snapshot { totals.withLock { $0 } }

    /// Applies a batch's figures in one step.
    public func record(_ update: (inout Snapshot) -> Void) {
        totals.withLock { update(&$0) }
    }
}
