import Detection
import NIOCore

/// A popped batch after parsing and adding up: what must be written to Redis, and what was refused.
///
/// Preparing is pure and happens once; writing may be retried with the same prepared batch when Redis
/// goes away, so a retry never parses or counts an entry twice on the worker's side.
struct PreparedBatch {
    /// Counts per unit and window.
    var groups: [UnitCount] = []
    /// Refused entries per reason.
    var rejected: [EntryRejection: Int] = [:]
    /// Copies of refused entries for the dead-letter list, when one is configured.
    var rejectedEntries: [ByteBuffer] = []
    /// Entries popped.
    var popped = 0
    /// Valid entries that will be counted.
    var counted = 0
    /// Valid entries older than a window.
    var stale = 0
    /// Valid entries from allowlisted addresses.
    var allowlisted = 0
    /// The detection settings the batch was prepared with; the write uses the same.
    var detection: DetectionSettings
    /// The worker's clock when the batch was prepared.
    var now: Int64
    /// Distinguishes this batch's rolling-window members from every other batch's.
    var tag: String
}
