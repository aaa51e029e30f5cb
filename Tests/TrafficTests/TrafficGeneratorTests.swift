import Detection
import Testing
import Traffic

@Suite("Scenario generators: deterministic per seed, ground truth right")
struct TrafficGeneratorTests {
    static let rule = DetectionRule(mode: .fixed, threshold: 15, windowSeconds: 60)
    /// A window boundary plus 20 s: a point where straddling bursts can be placed (see StraddlePlacement).
    static let start: Int64 = 1_700_000_040_000 / 60_000 * 60_000 + 20_000

    static func generate(
        _ scenario: TrafficScenario, count: Int, seed: UInt64 = 1, timed: Bool = false, rule: DetectionRule = rule,
        millisecondsPerRequest: Double = 0
    ) -> (events: [TrafficEvent], truth: GroundTruth) {
        var generator = TrafficGenerator(scenario: scenario, rule: rule, seed: seed, timed: timed)
        return generator.generate(count: count, startMilliseconds: start, millisecondsPerRequest: millisecondsPerRequest)
    }

    /// Units of `kind`, after checking that any others are the users that fill the tail of a counted feed,
    /// where what is left is too little for one more unit of the scenario's kind.
    static func units(of kind: TrafficKind, in truth: GroundTruth, sourceLocation: SourceLocation = #_sourceLocation)
        -> [UnitTruth]
    {
        let others = truth.units.filter { $0.kind != kind }
        #expect(others.allSatisfy { $0.kind == .user }, sourceLocation: sourceLocation)
        #expect(others.reduce(0) { $0 + $1.sent } < 60, "tail filler only", sourceLocation: sourceLocation)
        return truth.units.filter { $0.kind == kind }
    }

    @Test("the same seed gives the same requests; another seed different ones", arguments: TrafficScenario.named)
    func deterministic(scenario: TrafficScenario) {
        let timed = scenario.requiresEventTimes
        let first = Self.generate(scenario, count: 5000, seed: 42, timed: timed)
        let second = Self.generate(scenario, count: 5000, seed: 42, timed: timed)
        let other = Self.generate(scenario, count: 5000, seed: 43, timed: timed)
        #expect(first.events == second.events)
        #expect(first.truth.units == second.truth.units)
        #expect(first.events != other.events)
    }

    @Test("exactly the requested count, all in documentation and shared ranges", arguments: TrafficScenario.named)
    func countAndRanges(scenario: TrafficScenario) {
        for count in [0, 1, 29, 4097, 12_345] {
            let (events, truth) = Self.generate(scenario, count: count, timed: true)
            #expect(events.count == count)
            #expect(truth.requestCount == count)
            #expect(events.allSatisfy { isInDocumentationRanges($0.address) })
        }
    }

    @Test("ground truth equals an independent tally with Detection's windows", arguments: TrafficScenario.named, [false, true])
    func truthMatchesTally(scenario: TrafficScenario, timed: Bool) {
        let (events, truth) = Self.generate(scenario, count: 20_000, timed: timed || scenario.requiresEventTimes)
        let tallied = tally(events, rule: Self.rule)
        #expect(truth.units.count == tallied.count)
        for unit in truth.units {
            let counted = tallied[unit.name]
            #expect(counted?.sent == unit.sent, "\(unit.name)")
            guard let counted, truth.timed else {
                #expect(unit.expectedBlocked == (unit.sent >= 15))
                continue
            }
            #expect(counted.fixedPeak(Self.rule.fixedWindow) == unit.peaks.fixed, "\(unit.name)")
            #expect(counted.rollingPeak(60_000) == unit.peaks.rolling, "\(unit.name)")
            #expect(unit.expectedBlocked == (unit.peaks.fixed >= 15))
        }
    }

    @Test("users stay below the threshold in every fixed and rolling window", arguments: [false, true])
    func usersStayBelow(timed: Bool) {
        // Paced slowly too, so requests spread over many windows.
        for spacing in [0.0, 7.5] {
            let (events, truth) = Self.generate(.users, count: 30_000, timed: timed, millisecondsPerRequest: spacing)
            for (name, unit) in tally(events, rule: Self.rule) {
                #expect(unit.sent < 15, "\(name)")
                if timed {
                    #expect(unit.fixedPeak(Self.rule.fixedWindow) < 15, "\(name)")
                    #expect(unit.rollingPeak(60_000) < 15, "\(name)")
                }
            }
            #expect(truth.units.allSatisfy { $0.kind == .user && !$0.expectedBlocked })
            // Many users: IPv4 and (a quarter) IPv6.
            #expect(truth.units.count > 30_000 / 15)
            #expect(truth.units.contains { $0.name.contains(":") })
            #expect(truth.units.contains { !$0.name.contains(":") })
        }
    }

    @Test("interleaved: every address once per round, in the same order each round, so a batch rarely holds one twice")
    func interleavedRounds() {
        var generator = TrafficGenerator(
            scenario: .interleaved, setup: DetectionSetup(rule: Self.rule), seed: 3, timed: false, addressesPerRound: 1000)
        let (events, truth) = generator.generate(count: 10_000, targetSize: 700)
        #expect(truth.units.count == 1000 && truth.units.allSatisfy { $0.sent == 10 && $0.kind == .user })
        let round = Array(events[0..<1000].map(\.address))
        #expect(Set(round).count == 1000, "one round holds every address once")
        for start in stride(from: 1000, to: 10_000, by: 1000) {
            #expect(Array(events[start..<start + 1000].map(\.address)) == round, "round at \(start)")
        }
        // The feed's default: a tenth of the planned count, about ten requests per address.
        #expect(FeedConfiguration(scenario: .interleaved, limit: .count(2_000_000)).addressesPerRound == 200_000)
        #expect(FeedConfiguration(scenario: .interleaved, limit: .duration(.seconds(5))).addressesPerRound == 100_000)
    }

    @Test("distinct: one or two requests per address")
    func distinctAddresses() {
        let (_, truth) = Self.generate(.distinct, count: 20_000)
        #expect(truth.units.allSatisfy { (1...2).contains($0.sent) && $0.kind == .user })
        #expect(truth.units.count > 20_000 / 2)
    }

    @Test("bots burst to twice the threshold or more, in a fixed and in a rolling window")
    func botsReachThreshold() {
        let (events, truth) = Self.generate(.bots, count: 20_000, timed: true, millisecondsPerRequest: 1)
        let tallied = tally(events, rule: Self.rule)
        let bots = Self.units(of: .bot, in: truth)
        #expect(bots.count > 300)
        for bot in bots {
            let unit = tallied[bot.name]
            #expect(unit.map { $0.sent >= 30 && $0.sent <= 60 } == true, "\(bot.name)")
            #expect(unit.map { $0.fixedPeak(Self.rule.fixedWindow) >= 15 } == true, "\(bot.name)")
            #expect(unit.map { $0.rollingPeak(60_000) >= 15 } == true, "\(bot.name)")
            #expect(bot.expectedBlocked)
        }
        // The first bots get readable addresses from 203.0.113.0/24, later ones their own IPv6 /64.
        #expect(truth.units.first?.name == "203.0.113.1")
        #expect(truth.units.contains { $0.name.hasPrefix("2001:db8:8000:") && $0.name.hasSuffix("/64") })
    }

    @Test("straddling bursts never reach the threshold in a fixed window but do in a rolling one; a sliding estimate decides by its weight")
    func straddleSplitsFixedWindows() {
        for mode in DetectionRule.Mode.allCases {
            var rule = Self.rule
            rule.mode = mode
            let (events, truth) = Self.generate(.straddle, count: 10_000, timed: true, rule: rule)
            let tallied = tally(events, rule: rule)
            let placement = StraddlePlacement(rule: rule)
            let bursts = Self.units(of: .straddle, in: truth)
            #expect(bursts.count > 400)
            for unit in bursts {
                let counted = tallied[unit.name]
                #expect(counted.map { $0.fixedPeak(rule.fixedWindow) < 15 } == true, "\(unit.name)")
                #expect(counted.map { $0.rollingPeak(60_000) >= 15 } == true, "\(unit.name)")
                // Every burst spans a fixed-window boundary, so both windows hold some of it.
                let windows = Set(counted?.times.map(rule.fixedWindow.index(of:)) ?? [])
                #expect(windows.count == 2, "\(unit.name)")
                switch mode {
                case .fixed: #expect(!unit.expectedBlocked)
                case .rolling: #expect(unit.expectedBlocked)
                // The sliding estimate decides: over when the window before still weighs enough. A burst lies
                // within one window length, so the estimate never exceeds the rolling count, nor falls below the
                // fixed one.
                case .sliding:
                    #expect(unit.expectedBlocked == (unit.peaks.sliding >= 15))
                    #expect(unit.peaks.fixed <= unit.peaks.sliding && unit.peaks.sliding <= unit.peaks.rolling)
                }
            }
            // The times sit in the past, no older than the worker accepts after the latency allowance.
            for event in events {
                let time = event.timeMilliseconds ?? 0
                #expect(time <= Self.start)
                #expect(time >= Self.start + placement.latencyAllowance - 60_000)
            }
        }
    }

    @Test("straddling bursts that cannot be placed become users, and straddle needs times")
    func straddleFallsBackToUsers() {
        // 5 s before a boundary: the burst's earliest times would be stale by the time the worker sees them.
        var generator = TrafficGenerator(scenario: .straddle, rule: Self.rule, seed: 1, timed: true)
        let late = Self.start / 60_000 * 60_000 + 55_000
        let (_, lateTruth) = generator.generate(count: 2000, startMilliseconds: late)
        #expect(lateTruth.units.allSatisfy { $0.kind == .user })
        #expect(TrafficScenario.straddle.requiresEventTimes)
        #expect(FeedConfiguration(scenario: .straddle).sendsEventTimes)
        let placement = StraddlePlacement(rule: Self.rule)
        let delay = placement.delay(before: late, span: 0)
        #expect(delay == 6000)
        #expect(placement.boundary(forChunkAt: late + delay, span: 0) != nil)
    }

    @Test("rotating bots use a new address per request inside one /64, which is the unit")
    func rotateWithinSlash64() {
        let (events, truth) = Self.generate(.rotate, count: 10_000)
        let tallied = tally(events, rule: Self.rule)
        let bots = Self.units(of: .rotate, in: truth)
        #expect(bots.count > 150)
        #expect(bots.allSatisfy { $0.expectedBlocked && $0.name.hasPrefix("2001:db8:c000:") && $0.name.hasSuffix("/64") })
        for bot in bots {
            let unit = tallied[bot.name]
            #expect(unit.map { $0.sent >= 30 } == true, "\(bot.name)")
            #expect(unit.map { $0.addresses.count == $0.sent } == true, "every request from another address: \(bot.name)")
        }
        // Counted per address, none of them would come near the threshold.
        let perAddress = tally(events, rule: DetectionRule(ipv6Prefix: 128))
        #expect(perAddress.values.allSatisfy { $0.sent < 15 })
    }

    @Test("NAT addresses are IPv4, shared by many requests, over the threshold: expected to be blocked")
    func natOverThreshold() {
        let (events, truth) = Self.generate(.nat, count: 10_000)
        #expect(events.allSatisfy { if case .v4 = $0.address { true } else { false } })
        #expect(Self.units(of: .nat, in: truth).allSatisfy { $0.sent >= 30 && $0.sent <= 45 && $0.expectedBlocked })
        #expect(truth.units.first?.name == "198.51.100.1")
    }

    @Test("mixed interleaves every kind; without times it has no straddling bursts")
    func mixedInterleaves() {
        let (events, truth) = Self.generate(.mixed, count: 4000, timed: true)
        let counts = truth.unitCounts
        for kind in [TrafficKind.user, .bot, .rotate, .nat, .straddle] { #expect((counts[kind] ?? 0) > 0, "\(kind)") }
        // Interleaved: the first 300 requests already come from several kinds.
        let kinds = Set(events.prefix(300).compactMap { truth.unit(named: Self.rule.unit(for: $0.address).name)?.kind })
        #expect(kinds.count >= 3)
        let (_, untimed) = Self.generate(.mixed, count: 4000, timed: false)
        #expect(untimed.unitCounts[.straddle] == nil)
    }

    @Test("a single address: every request the same, counted under its canonical unit")
    func singleAddress() throws {
        let address = try #require(IPAddress("2001:DB8::7"))
        let (events, truth) = Self.generate(.single(address), count: 20)
        #expect(events.count == 20)
        #expect(events.allSatisfy { $0.address == address })
        #expect(truth.units.map(\.name) == ["2001:db8::/64"])
        #expect(truth.units.first?.expectedBlocked == true)
        #expect(truth.unit(named: "2001:DB8:0:0::/64")?.sent == 20)
        let few = Self.generate(.single(address), count: 14).truth
        #expect(few.units.first?.expectedBlocked == false)
    }

    @Test("paced timing: each request's time is its slot's time; bursts stay inside a window")
    func pacedTimes() {
        let (events, _) = Self.generate(.users, count: 1000, timed: true, millisecondsPerRequest: 2.5)
        for (index, event) in events.enumerated() {
            #expect(event.timeMilliseconds == Self.start + Int64(Double(index) * 2.5))
        }
    }
}
