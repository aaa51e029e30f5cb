import Detection
import NIOCore

/// A popped batch after parsing and adding up: what must be written to Redis, and what was refused.
///
/// Preparing is pure and happens once; writing may be retried with the same prepared batch when Redis
/// goes away or refuses a write, so a retry never parses or counts an entry twice on the worker's side, and
/// ``progress`` keeps it from writing a finished step again.
struct PreparedBatch {
    /// Counts per unit and window, one set per distinct counter of the rules (``RuleCounter``).
    var counters: [CounterBatch] = []
    /// Refused entries per reason.
    var rejected: [EntryRejection: Int] = [:]
    /// Copies of refused entries for the dead-letter list, when one is configured.
    var rejectedEntries: [ByteBuffer] = []
    /// Entries popped.
    var popped = 0
    /// Valid entries that will be counted.
    var counted = 0
    /// Valid entries older than the longest rule's window.
    var stale = 0
    /// Valid entries from allowlisted addresses.
    var allowlisted = 0
    /// The detection settings the batch was prepared with; the write uses the same.
    var detection: DetectionSettings
    /// The worker's clock when the batch was prepared.
    var now: Int64
    /// Distinguishes this batch from every other batch of every worker: names its rolling-window members and
    /// its counters' applied-markers.
    var tag: String
    /// What of the batch has been written so far.
    var progress = BatchWriteProgress()
}

/// The part of a prepared batch one counter takes: the counter, the groups it adds, the rules reading it.
struct CounterBatch {
    /// The counter's mode and window.
    var counter: RuleCounter
    /// Indices into the batch's rules of the rules that read this counter.
    var rules: [Int]
    /// Members a rolling counter keeps per unit: the largest ``DetectionRule/rollingCap`` of its rules.
    var rollingCap: Int
    /// Counts per unit and window.
    var groups: [UnitCount]
    /// Under `counters: buckets`, each group's hash and whether its call sets the hash's expiry, index for index
    /// with ``groups``; empty otherwise.
    var buckets: [BucketSlot] = []
    /// Names this counter's part of the batch: its applied-markers and rolling members. The first counter
    /// takes the batch's tag, so a single rule writes exactly what it always did.
    var tag: String
    /// The worker's clock when the batch was prepared.
    var now: Int64

    /// Whether a sliding rule reads this counter, so its units' counts of the window before are needed too.
    func readsPreviousWindow(_ detection: DetectionSettings) -> Bool {
        rules.contains { detection.rules[$0].mode == .sliding }
    }
}
