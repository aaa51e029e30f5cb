/// How far the writes of one prepared batch got, so a retry repeats only what has not been written.
///
/// Counter updates are not idempotent: running them again after the blocklist write failed would count every
/// entry of the batch once more, and a user with one request would be blocked after a dozen retries. So each
/// step is recorded as done the moment Redis confirms it, and a retry resumes at the first step not done.
/// A step whose confirmation was lost on the way is safe to repeat on the server's side: fixed-window counters
/// and rolling logs carry an applied-marker (``FixedWindowCounter``, ``RollingWindowCounter``), and the ban
/// script's `SADD` adds a unit once.
struct BatchWriteProgress {
    /// Counts before and after the batch per counter (by index in ``PreparedBatch/counters``), each once its
    /// counter is written.
    var counts: [Int: [WindowCount]] = [:]
    /// Counters (by index) whose write was sent at least once: a write that failed may have run all the same, so
    /// the next attempt of a counter that needs to know (``BucketTransactionCounter``) reads its markers first.
    var countersAttempted: Set<Int> = []
    /// The counters whose units' previous-window counts have been read into ``counts`` (for sliding rules).
    var previousRead: Set<Int> = []
    /// Whether every counter is written.
    var countersWritten = false
    /// Units over a rule's threshold still to be offered to the blocklist (or announced, for a rule in dry run);
    /// nil until the counters are written and the candidates chosen.
    var pendingBans: [RuleCrossing]?
    /// Units newly blocked (or, for a rule in dry run, announced) by this batch so far, per rule name.
    var blockedByRule: [String: Int] = [:]
    /// Ranges newly banned by this batch so far (see ``Detection/RangeBanPolicy``).
    var rangesBlocked = 0
    /// Units newly blocked or announced by this batch so far.
    var blocked: Int { blockedByRule.values.reduce(0, +) }
    /// Whether the rejected entries are in the dead-letter list (or there were none to write).
    var deadLettersWritten = false

    /// Whether every step is done.
    var isComplete: Bool { countersWritten && pendingBans?.isEmpty == true && deadLettersWritten }
}
