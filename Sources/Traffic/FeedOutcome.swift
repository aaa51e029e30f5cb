/// A feed's result: what was sent and, when asked for, how the worker did.
public struct FeedOutcome: Sendable {
    /// What was sent, with its ground truth.
    public var summary: FeedSummary
    /// How the worker did; nil when no report was asked for.
    public var report: DetectionReport?
    /// How waiting for the queue to empty went; nil without a report.
    public var drain: DrainResult?
    /// Things found before the feed started that make the report less clean (a non-empty queue or blocklist).
    public var warnings: [String]

    /// Creates an outcome.
    public init(summary: FeedSummary, report: DetectionReport?, drain: DrainResult?, warnings: [String]) {
        self.summary = summary
        self.report = report
        self.drain = drain
        self.warnings = warnings
    }
}
