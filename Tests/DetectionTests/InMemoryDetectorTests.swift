import Detection
import Testing

/// The worker's rules in memory: when ``InMemoryDetector`` blocks, under which rule, and what it leaves alone.
@Suite("InMemoryDetector")
struct InMemoryDetectorTests {
    private let bot = IPAddress("203.0.113.7")!
    /// The start of a minute: 2026-12-06T01:00:00Z.
    private let minute: Int64 = 1_796_518_800_000

    private func detector(_ rules: [DetectionRule], ban: Int = 3600, escalation: BanEscalation = BanEscalation())
        -> InMemoryDetector
    {
        InMemoryDetector(rules: rules, banSeconds: rules.map { $0.banSeconds ?? ban }, escalation: escalation)
    }

    @Test("fixed: the request that reaches the threshold blocks, once, with its count and the ban's end")
    func fixedBlocksAtThreshold() throws {
        var detector = detector([DetectionRule(threshold: 15, windowSeconds: 60)])
        for index in 0..<20 { detector.add(bot, at: minute + Int64(index) * 100) }
        let block = try #require(detector.blocks.first)
        #expect(detector.blocks.count == 1)
        #expect(block.unit.name == "203.0.113.7" && block.rule == "default" && block.count == 15)
        #expect(block.at == minute + 1400)
        #expect(block.expiresAt == minute + 1400 + 3_600_000)
        #expect(detector.tally.counted == 20)
    }

    @Test("fixed: a burst split by a window boundary is not blocked; sliding blocks it; rolling blocks it")
    func straddlingBurst() {
        func blocks(_ mode: DetectionRule.Mode) -> Int {
            var detector = detector([DetectionRule(mode: mode, threshold: 15, windowSeconds: 60)])
            for index in 0..<20 { detector.add(bot, at: minute - 1000 + Int64(index) * 100) }
            return detector.blocks.count
        }
        #expect(blocks(.fixed) == 0)
        #expect(blocks(.sliding) == 1)
        #expect(blocks(.rolling) == 1)
    }

    @Test("rolling: requests spread wider than the window never reach the threshold")
    func rollingForgetsOldRequests() {
        var detector = detector([DetectionRule(mode: .rolling, threshold: 5, windowSeconds: 10)])
        for index in 0..<50 { detector.add(bot, at: minute + Int64(index) * 2600) }
        #expect(detector.blocks.isEmpty)
    }

    @Test("a unit still over the threshold when its ban ends is blocked again, longer with escalation")
    func reblocksAfterBanWithEscalation() {
        var detector = detector(
            [DetectionRule(threshold: 3, windowSeconds: 60)], ban: 10, escalation: BanEscalation(factor: 2))
        // Four requests a second for 40 s: banned at the third request, again as each ban ends, twice as long.
        for index in 0..<160 { detector.add(bot, at: minute + Int64(index) * 250) }
        let bans = detector.blocks.map { (($0.expiresAt ?? 0) - $0.at) / 1000 }
        #expect(bans == [10, 20, 40], "\(detector.blocks)")
        #expect(detector.blocks.map(\.at) == [minute + 500, minute + 10_500, minute + 30_500])
    }

    @Test("allowlisted and stale requests are not counted; untimed ones count at the log's clock")
    func allowlistAndStale() {
        var detector = detector([DetectionRule(threshold: 2, windowSeconds: 60)])
        detector.add(IPAddress("127.0.0.1")!, at: minute)
        detector.add(bot, at: minute + 120_000)
        detector.add(bot, at: minute)  // two minutes before the clock: too old for a 60 s window
        #expect(detector.tally == InMemoryDetector.Tally(counted: 1, allowlisted: 1, stale: 1))
        detector.add(bot, at: nil)
        #expect(detector.blocks.map(\.at) == [minute + 120_000])
    }

    @Test("a dry-run rule announces each crossing once per window and bans nothing; another rule still bans")
    func dryRun() {
        let shadow = DetectionRule(name: "shadow", threshold: 3, windowSeconds: 60, dryRun: true)
        let real = DetectionRule(name: "real", threshold: 10, windowSeconds: 60)
        var detector = detector([shadow, real])
        for index in 0..<12 { detector.add(bot, at: minute + Int64(index) * 1000) }
        for index in 0..<3 { detector.add(bot, at: minute + 60_000 + Int64(index) * 1000) }
        #expect(detector.blocks.map(\.rule) == ["shadow", "real", "shadow"])
        #expect(detector.blocks.map(\.dryRun) == [true, false, true])
    }

    @Test("rules reached by the same request: the longest ban wins, a ban for good the longest of all")
    func longestBanWins() {
        let short = DetectionRule(name: "short", threshold: 5, windowSeconds: 60, banSeconds: 60)
        let forever = DetectionRule(name: "forever", threshold: 5, windowSeconds: 10, banSeconds: 0)
        let long = DetectionRule(name: "long", threshold: 5, windowSeconds: 30, banSeconds: 600)
        var detector = detector([short, forever, long])
        for index in 0..<5 { detector.add(bot, at: minute + Int64(index)) }
        #expect(detector.blocks.map(\.rule) == ["forever"])
        #expect(detector.blocks.first?.expiresAt == nil)
    }

    @Test("units follow the prefixes: an IPv6 client rotating inside its /64 is one unit")
    func ipv6Units() {
        var detector = detector([DetectionRule(threshold: 10, windowSeconds: 60)])
        for index in 0..<10 { detector.add(IPAddress("2001:db8:1:2::\(index + 1)")!, at: minute + Int64(index)) }
        #expect(detector.blocks.map(\.unit.name) == ["2001:db8:1:2::/64"])
    }
}
