import Foundation
import IPWatcherTestSupport
import Testing

/// `deploy/prometheus/ipwatcher-alerts.yml` as promtool judges it, its unit tests pass, and
/// `deploy/grafana/ipwatcher.json`'s queries parse; that they name only series a worker exports is
/// `MonitoringSeriesTests`' part.
@Suite("Prometheus alert rules and the Grafana dashboard's queries")
struct PrometheusRulesTests {
    /// The alerts issue 16 asks for; the file may have more.
    static let requiredAlerts = [
        "IPWatcherWorkerDown", "IPWatcherRedisDisconnected", "IPWatcherNotConsuming", "IPWatcherQueueBacklog",
        "IPWatcherRejectedEntriesSpike", "IPWatcherBlockRateHigh",
    ]

    @Test("promtool check rules accepts the alert rules and counts every one of them", .requires("promtool", package: "prometheus"))
    func rulesPassPromtoolCheck() throws {
        let promtool = try ExternalTools.require("promtool", package: "prometheus")
        let result = try Subprocess.run(promtool, ["check", "rules", ShippedMonitoring.alertRules.path])
        #expect(result.succeeded, "\(result.combinedOutput)")
        let count = try ShippedMonitoring.alertNames().count
        #expect(result.combinedOutput.contains("SUCCESS: \(count) rules found"), "\(result.combinedOutput)")
    }

    @Test("promtool test rules passes the alert rules' unit tests", .requires("promtool", package: "prometheus"))
    func unitTestsPass() throws {
        let promtool = try ExternalTools.require("promtool", package: "prometheus")
        let result = try Subprocess.run(promtool, ["test", "rules", ShippedMonitoring.alertTests.path])
        #expect(result.succeeded, "\(result.combinedOutput)")
        #expect(result.combinedOutput.contains("SUCCESS"), "\(result.combinedOutput)")
        #expect(!result.combinedOutput.contains("FAILED"), "\(result.combinedOutput)")
    }

    @Test("every alert is unit-tested where it fires and where it must not, and the required ones are there")
    func everyAlertHasFiringAndQuietCases() throws {
        let alerts = try ShippedMonitoring.alertNames()
        let cases = try ShippedMonitoring.alertTestCases()
        for alert in Self.requiredAlerts {
            #expect(alerts.contains(alert), "no alert \(alert) in \(ShippedMonitoring.alertRules.lastPathComponent)")
        }
        for alert in alerts {
            #expect(cases.contains { $0.alert == alert && $0.expectsAlerts }, "\(alert) is never tested firing")
            #expect(cases.contains { $0.alert == alert && !$0.expectsAlerts }, "\(alert) is never tested quiet")
        }
        #expect(Set(cases.map(\.alert)).isSubset(of: alerts), "a test names an alert the rules do not have")
        #expect(Set(alerts).count == alerts.count, "two alerts share a name")
    }

    @Test("every query of the dashboard parses as PromQL (promtool, as recording rules)", .requires("promtool", package: "prometheus"))
    func dashboardQueriesParse() throws {
        let promtool = try ExternalTools.require("promtool", package: "prometheus")
        let queries = try ShippedMonitoring.dashboardExpressions().filter(\.isPromQL)
        #expect(queries.count >= 30, "only \(queries.count) dashboard queries found")
        let rules = queries.enumerated().map { index, query in
            ["record": "ipwatcher_dashboard:query_\(index)", "expr": query.withGrafanaRangesResolved]
        }
        // JSON is YAML, and promtool reads its rule files as YAML; YAML has no `\/` escape, though.
        let file = try JSONSerialization.data(
            withJSONObject: ["groups": [["name": "dashboard", "rules": rules]]], options: .withoutEscapingSlashes)
        let scratch = try TemporaryDirectory("dashboard-rules")
        defer { scratch.remove() }
        let rulesFile = try scratch.write(String(decoding: file, as: UTF8.self), to: "dashboard.rules.yml")
        let result = try Subprocess.run(promtool, ["check", "rules", rulesFile.path])
        #expect(result.succeeded, "\(result.combinedOutput)\n\(queries.map(\.description).joined(separator: "\n"))")
        #expect(result.combinedOutput.contains("SUCCESS: \(queries.count) rules found"), "\(result.combinedOutput)")
    }
}
