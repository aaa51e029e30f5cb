import Foundation
import Yams

/// The monitoring files `deploy/` ships — the Prometheus alert rules, their promtool unit tests and the Grafana
/// dashboard — and the PromQL expressions in them.
public enum ShippedMonitoring {
    /// `deploy/prometheus/ipwatcher-alerts.yml`.
    public static let alertRules = deploy.appending(path: "prometheus/ipwatcher-alerts.yml")
    /// `deploy/prometheus/ipwatcher-alerts.test.yml`, for `promtool test rules`.
    public static let alertTests = deploy.appending(path: "prometheus/ipwatcher-alerts.test.yml")
    /// `deploy/grafana/ipwatcher.json`.
    public static let dashboard = deploy.appending(path: "grafana/ipwatcher.json")

    private static let deploy = BuiltExecutable.ipwatcherPackageRoot.appending(path: "deploy", directoryHint: .isDirectory)

    /// One `alert_rule_test` entry of the unit tests: the alert it checks at one time, and whether it expects any.
    public struct AlertTestCase: Sendable {
        /// The alert's name.
        public var alert: String
        /// Whether the case lists alerts it expects (`exp_alerts`); one without expects none of that name.
        public var expectsAlerts: Bool
    }

    /// The `expr` of every alerting and recording rule, each named by its `alert:` or `record:`.
    public static func alertRuleExpressions() throws -> [MonitoringExpression] {
        try rules().map { rule in
            let name = (rule["alert"] ?? rule["record"]) as? String ?? "?"
            return MonitoringExpression(
                origin: "\(alertRules.lastPathComponent): \(name)", text: rule["expr"] as? String ?? "")
        }
    }

    /// The names of the alerting rules, in file order.
    public static func alertNames() throws -> [String] {
        try rules().compactMap { $0["alert"] as? String }
    }

    /// Every `alert_rule_test` entry of the unit tests.
    public static func alertTestCases() throws -> [AlertTestCase] {
        let tests = try yaml(alertTests)["tests"] as? [[String: Any]] ?? []
        return tests.flatMap { test in
            (test["alert_rule_test"] as? [[String: Any]] ?? []).map { entry in
                AlertTestCase(
                    alert: entry["alertname"] as? String ?? "",
                    expectsAlerts: !(entry["exp_alerts"] as? [Any] ?? []).isEmpty)
            }
        }
    }

    /// The `expr` of every panel's queries (rows' nested panels included), each named by its panel's title and
    /// `refId`, then the query of every templating variable that has one.
    public static func dashboardExpressions() throws -> [MonitoringExpression] {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: dashboard)) as? [String: Any] ?? [:]
        let file = dashboard.lastPathComponent
        var panels = object["panels"] as? [[String: Any]] ?? []
        panels += panels.flatMap { $0["panels"] as? [[String: Any]] ?? [] }
        var expressions: [MonitoringExpression] = panels.flatMap { panel in
            (panel["targets"] as? [[String: Any]] ?? []).compactMap { target in
                (target["expr"] as? String).map {
                    MonitoringExpression(
                        origin: "\(file): \(panel["title"] as? String ?? "?") (\(target["refId"] as? String ?? "?"))",
                        text: $0)
                }
            }
        }
        let variables = (object["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? []
        for variable in variables where variable["type"] as? String == "query" {
            let query = (variable["query"] as? [String: Any])?["query"] as? String ?? variable["query"] as? String
            if let query {
                expressions.append(
                    MonitoringExpression(origin: "\(file): variable \(variable["name"] as? String ?? "?")", text: query))
            }
        }
        return expressions
    }

    /// The rules of every group of the alert rules file.
    private static func rules() throws -> [[String: Any]] {
        let groups = try yaml(alertRules)["groups"] as? [[String: Any]] ?? []
        return groups.flatMap { $0["rules"] as? [[String: Any]] ?? [] }
    }

    private static func yaml(_ file: URL) throws -> [String: Any] {
        try Yams.load(yaml: String(contentsOf: file, encoding: .utf8)) as? [String: Any] ?? [:]
    }
}
