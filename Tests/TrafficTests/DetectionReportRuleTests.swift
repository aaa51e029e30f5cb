import Detection
import Testing
import Traffic

/// The report's lines for several rules, range bans and repeat offenders, from hand-made truth and events.
@Suite("DetectionReport: rules, ranges and repeat offenders")
struct DetectionReportRuleTests {
    static let burst = DetectionRule(name: "burst", threshold: 10, windowSeconds: 2)
    static let hourly = DetectionRule(name: "hourly", mode: .rolling, threshold: 300, windowSeconds: 3600, dryRun: true)

    static func unit(_ name: String, _ kind: TrafficKind, over: [String], visits: Int = 1) -> UnitTruth {
        UnitTruth(
            name: name, kind: kind, sent: 40, peaks: WindowPeaks(fixed: 40, sliding: 40, rolling: 40), expectedBlocked: !over.isEmpty,
            rulesOver: over, visits: visits)
    }

    static func event(_ unit: String, rule: String?, dryRun: Bool = false, offence: Int? = nil, range: Bool = false)
        -> BlockEvent
    {
        BlockEvent(
            unit: unit, count: range ? 0 : 40, window: 2, mode: "fixed", at: 1, dryRun: dryRun, rule: rule,
            offence: offence, range: range)
    }

    @Test("each rule counts the units over it and the units announced under it; a dry-run rule's note names it")
    func ruleLines() {
        let truth = GroundTruth(
            setup: DetectionSetup(rules: [Self.burst, Self.hourly]), timed: true,
            units: [
                Self.unit("203.0.113.1", .bot, over: ["burst"]),
                Self.unit("198.19.0.1", .crawler, over: ["hourly"]),
                Self.unit("100.64.0.1", .user, over: []),
            ])
        let events = [
            Self.event("203.0.113.1", rule: "burst"), Self.event("198.19.0.1", rule: "hourly", dryRun: true),
            Self.event("192.0.2.200", rule: "burst"),
        ]
        let report = DetectionReport(truth: truth, blocked: ["203.0.113.1"], events: events, sentAtBlock: [:])
        #expect(report.rules.map(\.name) == ["burst", "hourly"])
        #expect(report.rules.map(\.expectedOver) == [1, 1] && report.rules.map(\.announced) == [1, 1])
        #expect(report.botsCaught == 2 && report.missed.isEmpty)
        #expect(report.notes.contains { $0.contains("dry run (hourly)") }, "\(report.notes)")
        #expect(report.text().contains("hourly"))
    }

    @Test("ranges: expected from the units over an enforcing rule, found in the set or the events, fresh addresses refused")
    func rangeLine() {
        let setup = DetectionSetup(rules: [Self.burst, Self.hourly], ranges: RangeBanPolicy(minUnits: 2))
        let truth = GroundTruth(
            setup: setup, timed: true,
            units: [
                Self.unit("198.18.0.1", .farm, over: ["burst"]), Self.unit("198.18.0.2", .farm, over: ["burst"]),
                Self.unit("198.18.0.101", .fresh, over: []),
                // Over a dry-run rule only: no range ban expected for these two.
                Self.unit("198.18.1.1", .crawler, over: ["hourly"]), Self.unit("198.18.1.2", .crawler, over: ["hourly"]),
                Self.unit("2001:db8:f000:1::/64", .farm, over: ["burst"]),
                Self.unit("2001:db8:f000:2::/64", .farm, over: ["burst"]),
            ])
        #expect(Set(truth.expectedRanges.keys) == ["198.18.0.0/24", "2001:db8:f000::/48"])
        let found = DetectionReport(
            truth: truth, blocked: [], events: [Self.event("2001:db8:f000::/48", rule: "burst", range: true)],
            sentAtBlock: [:], bannedRanges: ["198.18.0.0/24", "198.18.1.0/24"])
        let ranges = found.ranges
        #expect(ranges?.expected == 2 && ranges?.banned == 2 && ranges?.missed == [])
        #expect(ranges?.unexpected == ["198.18.1.0/24"])
        #expect(ranges?.freshUnits == 1 && ranges?.freshRefused == 1)
        // Range events are not units: nothing foreign, no unit event from them.
        #expect(found.foreignBlocked == 0 && found.blockEvents == 0)
        let none = DetectionReport(truth: truth, blocked: [], events: [], sentAtBlock: [:])
        #expect(none.ranges?.banned == 0 && none.ranges?.missed == ["198.18.0.0/24", "2001:db8:f000::/48"])
        #expect(none.ranges?.freshRefused == 0)
        // Range bans off: no range line at all.
        let off = GroundTruth(setup: DetectionSetup(rules: [Self.burst]), timed: true, units: truth.units)
        #expect(DetectionReport(truth: off, blocked: [], events: [], sentAtBlock: [:]).ranges == nil)
    }

    @Test("repeat offenders: banned on every visit when events match visits, offences in order with escalation")
    func repeatLine() {
        let setup = DetectionSetup(rules: [Self.burst], escalation: BanEscalation(factor: 2))
        let truth = GroundTruth(
            setup: setup, timed: true,
            units: [
                Self.unit("203.0.113.1", .repeatOffender, over: ["burst"], visits: 3),
                Self.unit("203.0.113.2", .repeatOffender, over: ["burst"], visits: 2),
            ])
        let events = [
            Self.event("203.0.113.1", rule: "burst", offence: 1), Self.event("203.0.113.1", rule: "burst", offence: 2),
            Self.event("203.0.113.1", rule: "burst", offence: 3), Self.event("203.0.113.2", rule: "burst", offence: 1),
        ]
        let line = DetectionReport(truth: truth, blocked: [], events: events, sentAtBlock: [:]).repeatOffenders
        #expect(line?.units == 2 && line?.visits == 5 && line?.bansSeen == 4)
        #expect(line?.bannedEveryVisit == 1 && line?.offencesInOrder == 1 && line?.escalation == true)
        // Nobody came back: the note says the feed was too short.
        let short = GroundTruth(
            setup: setup, timed: true, units: [Self.unit("203.0.113.3", .repeatOffender, over: ["burst"])])
        let report = DetectionReport(truth: short, blocked: [], events: [], sentAtBlock: [:])
        #expect(report.notes.contains { $0.contains("no repeat offender came back") })
    }
}
