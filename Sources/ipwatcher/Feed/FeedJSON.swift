import Foundation
import Traffic

/// What `ipwatcher feed --json` prints: the feed's summary and, with `--report`, the report and the drain.
struct FeedJSON: Encodable {
    var feed: FeedSummaryJSON
    var report: DetectionReport?
    var drain: DrainResult?
    var warnings: [String]

    init(outcome: FeedOutcome) {
        feed = outcome.summary.json
        report = outcome.report
        drain = outcome.drain
        warnings = outcome.warnings
    }

    /// Pretty-printed, keys sorted and in snake case, like the worker's events.
    var text: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let data = (try? encoder.encode(self)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
