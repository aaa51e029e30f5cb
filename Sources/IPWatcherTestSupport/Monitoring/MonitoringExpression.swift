import Foundation

/// One PromQL expression of the shipped alert rules or dashboard, with the series and label names it uses.
///
/// The names are read roughly — tokens and parenthesised lists, not a PromQL parse — which is enough to hold the
/// expressions to what a worker's scrape shows (``problems(against:)``); promtool judges the syntax.
public struct MonitoringExpression: Sendable, CustomStringConvertible {
    /// Where it is written: `ipwatcher-alerts.yml: IPWatcherWorkerDown`, `ipwatcher.json: Queue length (A)`.
    public let origin: String
    /// The expression as written, Grafana's variables included.
    public let text: String

    /// Labels Prometheus adds to every series it scrapes, so no worker exports them.
    public static let addedByPrometheus: Set<String> = ["instance", "job"]

    /// Creates an expression found at `origin`.
    public init(origin: String, text: String) {
        self.origin = origin
        self.text = text
    }

    /// Every `ipwatcher_…` series name the expression selects, once each, in order of first appearance.
    public var metricNames: [String] {
        var seen: [String] = []
        for match in text.matches(of: #/ipwatcher_[a-zA-Z0-9_:]*/#) where !seen.contains(String(match.output)) {
            seen.append(String(match.output))
        }
        return seen
    }

    /// The label names each `ipwatcher_…{…}` selector matches on, with the series name they belong to.
    public var matcherLabels: [(series: String, label: String)] {
        text.matches(of: #/(ipwatcher_[a-zA-Z0-9_:]*)\s*\{([^}]*)\}/#).flatMap { selector in
            selector.output.2.matches(of: #/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)\s*"/#).map {
                (String(selector.output.1), String($0.output.1))
            }
        }
    }

    /// The label names listed after `by`, `without`, `on`, `ignoring`, `group_left` and `group_right`.
    public var groupingLabels: [String] {
        text.matches(of: #/\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/#).flatMap {
            $0.output.1.split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
                .filter { !$0.isEmpty }
        }
    }

    /// Whether it is PromQL rather than one of Grafana's variable queries (`label_values(…)`).
    public var isPromQL: Bool { !text.hasPrefix("label_values(") }

    /// The text with Grafana's range variables (`$__rate_interval`, `$__interval`, `$__range`) given durations, so
    /// that promtool can parse it; label matchers such as `instance=~"$instance"` are valid PromQL as they are.
    public var withGrafanaRangesResolved: String {
        text.replacingOccurrences(of: "$__rate_interval", with: "1m")
            .replacingOccurrences(of: "$__interval", with: "1m")
            .replacingOccurrences(of: "$__range", with: "1h")
    }

    /// What in the expression a worker does not export, one line each: a series name missing from `exported`,
    /// a matcher on a label that series lacks, or a grouping label none of the expression's series has.
    ///
    /// A histogram's family name alone (`ipwatcher_batch_size`) is missing too: only its `_bucket`, `_sum` and
    /// `_count` samples exist. ``addedByPrometheus`` labels are allowed everywhere.
    public func problems(against exported: ExportedSeries) -> [String] {
        var problems: [String] = []
        var available = Self.addedByPrometheus
        for name in metricNames {
            if let labels = exported.labels[name] {
                available.formUnion(labels)
            } else {
                problems.append("\(origin): \(name) is not exported")
            }
        }
        for (series, label) in matcherLabels where !Self.addedByPrometheus.contains(label) {
            if let labels = exported.labels[series], !labels.contains(label) {
                problems.append("\(origin): \(series) has no label \(label)")
            }
        }
        for label in groupingLabels where !available.contains(label) {
            problems.append("\(origin): no series of the expression has the label \(label) it groups or matches by")
        }
        return problems
    }

    public var description: String { "\(origin): \(text)" }
}
