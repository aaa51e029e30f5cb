import Detection
import Testing
import Traffic

@Suite("DetectionReport: a pure function of truth, blocklist, events and sent counts")
struct DetectionReportTests {
    static let rule = DetectionRule(mode: .fixed, threshold: 15, windowSeconds: 60)

    static func unit(_ name: String, _ kind: TrafficKind, sent: Int, fixed: Int? = nil, rolling: Int? = nil) -> UnitTruth {
        UnitTruth(
            name: name, kind: kind, sent: sent, peaks: WindowPeaks(fixed: fixed ?? sent, sliding: fixed ?? sent, rolling: rolling ?? sent),
            rule: rule)
    }

    static let truth = GroundTruth(
        rule: rule, timed: true,
        units: [
            unit("100.64.0.1", .user, sent: 5),
            unit("100.64.0.2", .user, sent: 14),
            unit("2001:db8:0:1::/64", .user, sent: 3),
            unit("203.0.113.1", .bot, sent: 40),
            unit("203.0.113.2", .bot, sent: 31),
            unit("203.0.113.3", .bot, sent: 60),
            unit("2001:db8:c000:1::/64", .rotate, sent: 45),
            unit("198.51.100.1", .nat, sent: 33),
            unit("198.51.100.2", .nat, sent: 35),
            unit("192.0.2.1", .straddle, sent: 20, fixed: 10, rolling: 20),
        ])

    static func event(_ unit: String, count: Int = 15, mode: String = "fixed", window: Int = 60, dryRun: Bool = false)
        -> BlockEvent
    {
        BlockEvent(unit: unit, count: count, window: window, mode: mode, expiresAt: nil, at: 1, dryRun: dryRun)
    }

    @Test("caught, missed, wrongly blocked, NAT and straddle lines, requests before block")
    func counts() {
        let blocked: Set<String> = [
            "203.0.113.1", "203.0.113.3", "2001:db8:c000:1::/64", "198.51.100.1", "100.64.0.2", "192.0.2.99",
        ]
        let events = [
            Self.event("203.0.113.1", count: 15), Self.event("203.0.113.3", count: 16),
            Self.event("2001:DB8:C000:1::/64", count: 17), Self.event("198.51.100.1"), Self.event("100.64.0.2"),
            Self.event("203.0.113.1", count: 30),
        ]
        let report = DetectionReport(
            truth: Self.truth, blocked: blocked, events: events,
            sentAtBlock: ["203.0.113.1": 15, "203.0.113.3": 40, "2001:db8:c000:1::/64": 20, "198.51.100.1": 33])

        #expect(report.botsExpected == 4)
        #expect(report.botsCaught == 3)
        #expect(report.caught.map(\.unit) == ["203.0.113.1", "203.0.113.3", "2001:db8:c000:1::/64"])
        #expect(report.missed.map(\.unit) == ["203.0.113.2"])
        #expect(report.usersExpected == 4, "three users and the straddling burst, which fixed windows leave alone")
        #expect(report.wronglyBlocked.map(\.unit) == ["100.64.0.2"])
        #expect(report.sharedAddresses == 2)
        #expect(report.sharedAddressesExpected == 2)
        #expect(report.sharedAddressesBlocked == 1)
        #expect(report.straddlingBursts == 1)
        #expect(report.straddlingBurstsExpected == 0)
        #expect(report.straddlingBurstsBlocked == 0)
        #expect(report.requestsBeforeBlock == DetectionReport.Spread([15, 40, 20]))
        #expect(report.requestsBeforeBlock?.min == 15)
        #expect(report.requestsBeforeBlock?.median == 20)
        #expect(report.requestsBeforeBlock?.max == 40)
        #expect(report.caught.first?.countAtBlock == 15, "the first event counts")
        #expect(report.foreignBlocked == 1)
        #expect(report.blocklistSize == 6)
        #expect(report.blockEvents == 6)
        #expect(report.requests == 286)
        #expect(report.units == 10)
        let bots = report.kinds.first { $0.kind == .bot }
        #expect(bots == DetectionReport.KindLine(kind: .bot, units: 3, requests: 131, expectedBlocked: 3, blocked: 2))
        #expect(report.kinds.map(\.kind) == [.user, .bot, .straddle, .rotate, .nat])
        #expect(report.notes.count == 1, "only the foreign member: \(report.notes)")

        let text = report.text(verbose: true)
        #expect(text.contains("bots caught            3 of 4 (75.0%), missed 1"))
        #expect(text.contains("users wrongly blocked  1 of 4"))
        #expect(text.contains("shared addresses (NAT) 1 of 2 blocked"))
        #expect(text.contains("straddling bursts      0 of 1 blocked"))
        #expect(text.contains("min 15, median 20, max 40 over 3 caught bots"))
        #expect(text.contains("missed:\n  203.0.113.2"))
    }

    @Test("with rolling windows a straddling burst is a bot")
    func rollingStraddle() {
        var rule = Self.rule
        rule.mode = .rolling
        let truth = GroundTruth(
            rule: rule, timed: true,
            units: [UnitTruth(name: "192.0.2.1", kind: .straddle, sent: 20, peaks: WindowPeaks(fixed: 10, sliding: 19, rolling: 20), rule: rule)])
        let report = DetectionReport(
            truth: truth, blocked: ["192.0.2.1"], events: [Self.event("192.0.2.1", mode: "rolling")],
            sentAtBlock: ["192.0.2.1": 20])
        #expect(report.botsExpected == 1)
        #expect(report.botsCaught == 1)
        #expect(report.straddlingBurstsExpected == 1)
        #expect(report.straddlingBurstsBlocked == 1)
        #expect(report.notes.isEmpty)
    }

    @Test("blocks heard only as events count (dry run), and mismatched rules are pointed out")
    func dryRunAndMismatch() {
        let report = DetectionReport(
            truth: Self.truth, blocked: [], events: [Self.event("203.0.113.2", mode: "rolling", window: 10, dryRun: true)],
            sentAtBlock: [:])
        #expect(report.caught.map(\.unit) == ["203.0.113.2"])
        #expect(report.caught.first?.sentAtBlock == nil)
        #expect(report.requestsBeforeBlock == nil)
        #expect(report.notes.contains { $0.contains("rolling windows of 10 s") && $0.contains("fixed windows of 60 s") })
        #expect(report.notes.contains { $0.contains("dry-run") })
    }

    @Test("a caught bot without an event was blocked before the feed; nothing blocked is all missed")
    func preexistingAndEmpty() {
        let report = DetectionReport(truth: Self.truth, blocked: ["203.0.113.1"], events: [], sentAtBlock: [:])
        #expect(report.botsCaught == 1)
        #expect(report.notes.contains { $0.contains("no block event") })
        let nothing = DetectionReport(truth: Self.truth, blocked: [], events: [], sentAtBlock: [:])
        #expect(nothing.botsCaught == 0)
        #expect(nothing.missed.count == 4)
        #expect(nothing.wronglyBlocked.isEmpty)
        #expect(nothing.requestsBeforeBlock == nil)
        #expect(nothing.text().contains("bots caught            0 of 4 (0.0%), missed 4"))
        let empty = DetectionReport(
            truth: GroundTruth(rule: Self.rule, timed: false, units: []), blocked: [], events: [], sentAtBlock: [:])
        #expect(empty.botsExpected == 0)
        #expect(empty.text().contains("0 of 0 (-)"))
    }

    @Test("the spread's median is the lower middle value")
    func spread() {
        #expect(DetectionReport.Spread([]) == nil)
        #expect(DetectionReport.Spread([7])?.median == 7)
        #expect(DetectionReport.Spread([4, 1, 3, 2])?.median == 2)
        #expect(DetectionReport.Spread([5, 1, 3])?.median == 3)
    }

    @Test("block events decode from the worker's JSON; other messages do not")
    func blockEventJSON() {
        let json = #"{"event":"block","unit":"203.0.113.7","count":15,"window":60,"mode":"fixed","expires_at":1700000003600000,"at":1700000000000,"dry_run":false}"#
        #expect(
            BlockEvent(json: json)
                == BlockEvent(
                    unit: "203.0.113.7", count: 15, window: 60, mode: "fixed", expiresAt: 1_700_000_003_600_000,
                    at: 1_700_000_000_000, dryRun: false))
        let dry = #"{"event":"block","unit":"2001:db8::/64","count":20,"window":10,"mode":"rolling","expires_at":null,"at":5,"dry_run":true}"#
        #expect(BlockEvent(json: dry)?.expiresAt == nil)
        #expect(BlockEvent(json: dry)?.dryRun == true)
        #expect(BlockEvent(json: #"{"event":"unblock","unit":"x"}"#) == nil)
        #expect(BlockEvent(json: "not json") == nil)
    }
}
