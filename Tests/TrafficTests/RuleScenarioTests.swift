import Detection
import Testing
import Traffic

/// The scenarios made for several rules, range bans and escalation: crawlers stay under the short rules and cross
/// the long one, farms fill ranges, repeat offenders come back after their bans; the truth follows every rule.
@Suite("Scenarios for several rules, range bans and escalation")
struct RuleScenarioTests {
    /// The three rules.
    static let threeRules = [
        DetectionRule(name: "burst", threshold: 10, windowSeconds: 2),
        DetectionRule(name: "minute", threshold: 15, windowSeconds: 60),
        DetectionRule(name: "hourly", mode: .rolling, threshold: 300, windowSeconds: 3600, dryRun: true),
    ]
    static let start: Int64 = 1_700_000_000_000

    @Test("crawlers stay under the burst and minute rules and cross the hourly one, in the last 40 % of an hour")
    func crawlersCrossOnlyTheLongRule() throws {
        for start in [Self.start, Self.start / 3_600_000 * 3_600_000 + 60_000] {
            var generator = TrafficGenerator(
                scenario: .crawler, setup: DetectionSetup(rules: Self.threeRules), seed: 4, timed: true)
            let (events, truth) = generator.generate(count: 3000, startMilliseconds: start)
            let crawlers = truth.units.filter { $0.kind == .crawler }
            #expect(crawlers.count == 10)
            for crawler in crawlers {
                #expect(crawler.rulesOver == ["hourly"] && crawler.expectedBlocked, "\(crawler)")
                #expect(crawler.sent == 300)
            }
            let tallied = tally(events, rule: Self.threeRules[0])
            for crawler in crawlers {
                let unit = try #require(tallied[crawler.name])
                #expect(unit.rollingPeak(2000) < 10 && unit.fixedPeak(FixedWindow(lengthSeconds: 2)) < 10)
                #expect(unit.rollingPeak(60_000) < 15 && unit.fixedPeak(FixedWindow(lengthSeconds: 60)) < 15)
                #expect(unit.rollingPeak(3_600_000) == 300)
                // Not older than the worker accepts, and never in the future.
                #expect(unit.times.allSatisfy { $0 <= start && $0 > start - 3_600_000 * 4 / 5 })
            }
        }
    }

    @Test("crawlers cannot stay under a rule that blocks on one request: they become users")
    func crawlersNeedRoom() {
        let rules = [DetectionRule(name: "strict", threshold: 1, windowSeconds: 10), Self.threeRules[2]]
        var generator = TrafficGenerator(scenario: .crawler, setup: DetectionSetup(rules: rules), seed: 1, timed: true)
        let truth = generator.generate(count: 500, startMilliseconds: Self.start).truth
        #expect(truth.units.allSatisfy { $0.kind == .user })
    }

    @Test("farms: bots over the threshold and fresh addresses under it share one /24 or /48; their ranges are expected banned")
    func farmsFillRanges() throws {
        let setup = DetectionSetup(
            rules: [DetectionRule(name: "minute", threshold: 15, windowSeconds: 60)],
            ranges: RangeBanPolicy(minUnits: 4))
        var generator = TrafficGenerator(scenario: .subnet, setup: setup, seed: 2, timed: false)
        let truth = generator.generate(count: 5000).truth
        let farm = truth.units.filter { $0.kind == .farm }
        let fresh = truth.units.filter { $0.kind == .fresh }
        #expect(farm.allSatisfy(\.expectedBlocked) && fresh.allSatisfy { !$0.expectedBlocked })
        let expected = truth.expectedRanges
        #expect(expected.count >= 10)
        #expect(expected.keys.contains { $0.hasPrefix("198.18.") && $0.hasSuffix("/24") })
        #expect(expected.keys.contains { $0.hasPrefix("2001:db8:f") && $0.hasSuffix("/48") })
        for (range, units) in expected {
            #expect(units.count == 4, "\(range): \(units)")
            let freshInside = fresh.filter { truth.rangeName(ofUnit: $0.name) == range }
            #expect(freshInside.count == 3, "\(range)")
        }
        // Every IPv6 unit of a farm is a /64 of its own.
        #expect(farm.filter { $0.name.contains(":") }.allSatisfy { $0.name.hasSuffix("/64") })
        // Range bans off: the same traffic expects no range.
        var off = TrafficGenerator(scenario: .subnet, rule: setup.rule, seed: 2, timed: false)
        #expect(off.generate(count: 5000).truth.expectedRanges.isEmpty)
    }

    @Test("a range that holds an allowlisted address is not expected to be banned")
    func allowlistedRangeIsNotExpected() throws {
        var rule = DetectionRule(name: "minute", threshold: 15, windowSeconds: 60)
        rule.allowlist = [try #require(IPNetwork("198.18.1.200/32"))]
        let setup = DetectionSetup(rules: [rule], ranges: RangeBanPolicy(minUnits: 3))
        var generator = TrafficGenerator(scenario: .subnet, setup: setup, seed: 2, timed: false)
        let expected = generator.generate(count: 3000).truth.expectedRanges
        #expect(expected["198.18.1.0/24"] == nil && expected["198.18.2.0/24"] != nil)
    }

    @Test("repeat offenders come back twice, each time after their escalated ban and its spread have ended")
    func repeatOffendersReturn() throws {
        let setup = DetectionSetup(
            rules: [DetectionRule(name: "minute", threshold: 15, windowSeconds: 60)], banSeconds: 1,
            escalation: BanEscalation(factor: 2, maxSeconds: 3, memorySeconds: 60, jitter: 0.2))
        var generator = TrafficGenerator(scenario: .repeat, setup: setup, seed: 6, timed: true)
        // One request per millisecond: the feed lasts 40 s.
        let (events, truth) = generator.generate(count: 40_000, startMilliseconds: Self.start, millisecondsPerRequest: 1)
        let offenders = truth.units.filter { $0.kind == .repeatOffender }
        #expect(offenders.count > 100)
        let tallied = tally(events, rule: setup.rule)
        let returned = offenders.filter { $0.visits == 3 }
        #expect(returned.count > 50)
        for offender in returned {
            let times = try #require(tallied[offender.name]).times.sorted()
            var visits: [[Int64]] = [[times[0]]]
            for time in times.dropFirst() {
                if time - visits[visits.count - 1].last! > 1000 { visits.append([time]) } else { visits[visits.count - 1].append(time) }
            }
            #expect(visits.count == 3 && visits.allSatisfy { $0.count >= 30 })
            // Ban 1: 1 s, ban 2: 2 s, each at most 20 % longer, then the margin for the worker's expiry round.
            #expect(visits[1][0] - visits[0].last! >= 1200 + 2000)
            #expect(visits[2][0] - visits[1].last! >= 2400 + 2000)
        }
        #expect(offenders.allSatisfy { $0.visits <= 3 && $0.expectedBlocked })
    }
}
