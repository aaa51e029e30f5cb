import Detection
import IPWatcherDaemon
import IPWatcherTestSupport
import RedisClient
import Testing
import Traffic

/// `feed --report` with the scenarios for several rules, range bans and escalation, against the real worker
/// (in-process) configured as the ground truth assumes.
@Suite("feed --report: crawlers, subnet farms and repeat offenders", .needsRedisServer, .timeLimit(.minutes(10)))
struct FeedRuleScenarioIntegrationTests {
    /// Worker settings running `setup`.
    static func settings(_ setup: DetectionSetup) -> WorkerSettings {
        var settings = WorkerSettings()
        settings.detection = DetectionSettings(
            rules: setup.rules, banSeconds: setup.banSeconds, escalation: setup.escalation)
        settings.ranges = setup.ranges
        settings.lease = nil
        return settings
    }

    /// Feeds `configuration` against the worker at `endpoint` and returns the report.
    static func feed(_ configuration: FeedConfiguration, endpoint: RedisEndpoint) async throws -> DetectionReport {
        let runner = FeedRunner(
            endpoint: endpoint, configuration: configuration,
            report: ReportSettings(drainTimeout: .seconds(20), grace: .milliseconds(500)))
        let outcome = try await runner.run()
        #expect(outcome.drain?.drained == true)
        return try #require(outcome.report)
    }

    @Test("a subnet feed: every farm's range is banned, and every fresh address inside is refused by it")
    func subnetFarmsGetTheirRangesBanned() async throws {
        let setup = DetectionSetup(
            rules: [DetectionRule(name: "minute", threshold: 15, windowSeconds: 60)], banSeconds: 600,
            ranges: RangeBanPolicy(minUnits: 3))
        try await withInProcessWorker(Self.settings(setup)) { endpoint in
            var configuration = FeedConfiguration(scenario: .subnet, seed: 8, limit: .count(3000))
            configuration.setup = setup
            let report = try await Self.feed(configuration, endpoint: endpoint)
            let ranges = try #require(report.ranges)
            #expect(ranges.expected >= 5, "\(report.text(verbose: true))")
            #expect(ranges.banned == ranges.expected && ranges.missed.isEmpty && ranges.unexpected.isEmpty)
            #expect(ranges.freshUnits == 3 * ranges.expected && ranges.freshRefused == ranges.freshUnits)
            #expect(report.missed.isEmpty && report.wronglyBlocked.isEmpty, "\(report.text(verbose: true))")
            #expect(report.text().contains("ranges banned"))
        }
    }

    @Test("a crawler feed under the issue's three rules: only the hourly rule (dry run) sees the crawlers")
    func crawlersCrossOnlyTheHourlyRule() async throws {
        let setup = DetectionSetup(rules: RuleScenarioTests.threeRules)
        try await withInProcessWorker(Self.settings(setup)) { endpoint in
            var configuration = FeedConfiguration(scenario: .crawler, seed: 4, limit: .count(1500))
            configuration.setup = setup
            let report = try await Self.feed(configuration, endpoint: endpoint)
            let byName = Dictionary(uniqueKeysWithValues: report.rules.map { ($0.name, $0) })
            #expect(byName["hourly"]?.expectedOver == 5 && byName["hourly"]?.announced == 5, "\(report.text())")
            #expect(byName["burst"]?.expectedOver == 0 && byName["burst"]?.announced == 0)
            #expect(byName["minute"]?.expectedOver == 0 && byName["minute"]?.announced == 0)
            // Announced, not banned: the hourly rule is in dry run.
            #expect(report.blocklistSize == 0 && report.botsCaught == 5 && report.missed.isEmpty)
        }
    }

    @Test("repeat offenders are banned again on each return, offences numbered 1, 2, 3 with escalation")
    func repeatOffendersEscalate() async throws {
        let setup = DetectionSetup(
            rules: [DetectionRule(name: "minute", threshold: 15, windowSeconds: 60)], banSeconds: 1,
            escalation: BanEscalation(factor: 2, maxSeconds: 2, memorySeconds: 60))
        try await withInProcessWorker(Self.settings(setup)) { endpoint in
            // 12 s at 1,000 requests/s: long enough for two returns after bans of 1 s and 2 s.
            var configuration = FeedConfiguration(
                scenario: .repeat, seed: 5, limit: .count(12_000), rate: 1000, withTime: true)
            configuration.setup = setup
            let report = try await Self.feed(configuration, endpoint: endpoint)
            let repeated = try #require(report.repeatOffenders)
            #expect(repeated.visits > repeated.units + 10, "\(report.text())")
            #expect(repeated.bannedEveryVisit == repeated.units, "\(report.text(verbose: true))")
            #expect(repeated.offencesInOrder == repeated.units, "\(report.text(verbose: true))")
        }
    }
}
