import Foundation

/// The figures of a worker's `STATUS=` line: `processed 120345, rejected 12, blocked 3, unblocked 1, 40120/s`,
/// possibly after `waiting for Redis at … ; ` (see `SystemdStatusService.statusLine`).
struct WorkerStatusLine: Sendable, Hashable {
    /// Entries popped from the queue, valid or not.
    var processed: Int
    /// Entries refused.
    var rejected: Int
    /// Units blocked.
    var blocked: Int

    /// Parses the value of a `STATUS=` assignment; nil for status lines without the figures.
    init?(status: some StringProtocol) {
        guard let processed = Self.number(after: "processed ", in: status),
            let rejected = Self.number(after: "rejected ", in: status),
            let blocked = Self.number(after: "blocked ", in: status)
        else { return nil }
        self.processed = processed
        self.rejected = rejected
        self.blocked = blocked
    }

    /// The decimal number right after `label` in `text`.
    private static func number(after label: String, in text: some StringProtocol) -> Int? {
        guard let range = text.range(of: label) else { return nil }
        return Int(text[range.upperBound...].prefix { $0.isASCII && $0.isNumber })
    }
}
