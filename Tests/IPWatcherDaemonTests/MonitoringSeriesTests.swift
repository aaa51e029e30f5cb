import Foundation
import IPWatcherTestSupport
import LocalRedis
import Testing

/// The shipped alert rules and Grafana dashboard (deploy/prometheus, deploy/grafana) query only what a running
/// `ipwatcher run` exports: every `ipwatcher_…` sample name and every label they match or group by.
@Suite("deploy/: alerts and dashboard name only exported series", .needsRedisServer, .timeLimit(.minutes(10)))
struct MonitoringSeriesTests {
    @Test("every series and label the alert rules and the dashboard query is in a running worker's scrape")
    func everyQueriedSeriesIsExported() async throws {
        let rules = try ShippedMonitoring.alertRuleExpressions()
        let dashboard = try ShippedMonitoring.dashboardExpressions()
        // Not vacuous: the files were found and read, and their queries name ipwatcher's series.
        #expect(rules.count >= 10, "\(rules)")
        #expect(dashboard.count >= 30, "\(dashboard)")
        let queried = Set((rules + dashboard).flatMap(\.metricNames))
        #expect(queried.count >= 25, "\(queried.sorted())")

        let scrape = try await Self.scrapeAfterTraffic()
        let exported = ExportedSeries(seriesKeys: scrape.values.keys)
        let problems = (rules + dashboard).flatMap { $0.problems(against: exported) }
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))\n\nexported:\n\(scrape)")
        // The labelled series the queries group by were there to be checked.
        for label in ["reason", "rule", "connection", "step", "key", "le", "mode", "version", "commit"] {
            #expect(exported.labels.values.contains { $0.contains(label) }, "no exported series has \(label)")
        }
    }

    @Test("the check names a series the worker does not export and a label its series lack")
    func checkReportsWhatIsMissing() {
        let exported = ExportedSeries(seriesKeys: [
            #"ipwatcher_entries_rejected_total{reason="empty"}"#, #"ipwatcher_batch_size_bucket{le="+Inf"}"#,
            "ipwatcher_batch_size_sum", "ipwatcher_blocks_total",
        ])
        let fine = MonitoringExpression(
            origin: "fine",
            text: #"sum by (instance, reason) (rate(ipwatcher_entries_rejected_total{job="x", reason!="empty"}[5m]))"#
                + " / on (instance) group_left sum by (le) (rate(ipwatcher_batch_size_bucket[5m]))")
        #expect(fine.problems(against: exported) == [])
        let wrong = MonitoringExpression(
            origin: "wrong",
            text: #"sum by (rule) (rate(ipwatcher_blocks_total{step="x"}[5m])) + ipwatcher_batch_size"#
                + " + ipwatcher_no_such_total")
        #expect(
            wrong.problems(against: exported) == [
                "wrong: ipwatcher_batch_size is not exported", "wrong: ipwatcher_no_such_total is not exported",
                "wrong: ipwatcher_blocks_total has no label step",
                "wrong: no series of the expression has the label rule it groups or matches by",
            ])
    }

    /// Runs a worker, feeds it a rejected entry and a unit that gets blocked (so every labelled family has
    /// samples and the histograms have observations), and returns its scrape.
    static func scrapeAfterTraffic() async throws -> PrometheusSamples {
        try await withRedisServer { server in
            try await withScratchDirectory { scratch in
                try await DaemonMetricsTests.withMetricsDaemon(server, in: scratch) { daemon, port in
                    try await DaemonMetricsTests.blockAndReject("192.0.2.60", at: server)
                    let samples = PrometheusSamples(try await HTTPTestClient.send("/metrics", port: port).body)
                    try await daemon.stopExpectingSuccess()
                    return samples
                }
            }
        }
    }
}
