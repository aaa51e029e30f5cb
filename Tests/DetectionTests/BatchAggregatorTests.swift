import Detection
import Testing
import Traffic

@Suite("Batch aggregation")
struct BatchAggregatorTests {
    static let now: Int64 = 1_700_000_030_000
    static let window = FixedWindow(lengthSeconds: 60)
    static let clock = EventClock(windowMilliseconds: 60_000)

    static func entry(_ text: String) -> QueueEntry? {
        try? QueueEntryParser.parse(text).get()
    }

    static func unit(_ name: String) -> DetectionUnit? {
        DetectionUnit.parse(name: name)
    }

    /// Adds every entry and returns the outcomes in order.
    static func add(_ texts: [String], to aggregator: inout BatchAggregator, now: Int64 = now) throws -> [EntryOutcome] {
        try texts.map { aggregator.add(try #require(entry($0), "\($0)"), now: now) }
    }

    @Test("repeats of one address sum into one group")
    func repeatsSum() throws {
        var aggregator = BatchAggregator(rule: DetectionRule(), clock: Self.clock)
        let outcomes = try Self.add(Array(repeating: "203.0.113.7", count: 5), to: &aggregator)
        #expect(outcomes == Array(repeating: .counted, count: 5))
        let expected = UnitCount(
            unit: try #require(Self.unit("203.0.113.7")), windowIndex: Self.window.index(of: Self.now), count: 5,
            latestTime: Self.now)
        #expect(aggregator.groups == [expected])
        #expect(aggregator.groups.first?.eventTimes == [])
    }

    @Test("groups keep first-appearance order")
    func firstAppearanceOrder() throws {
        var aggregator = BatchAggregator(rule: DetectionRule(), clock: Self.clock)
        _ = try Self.add(["10.0.0.1", "10.0.0.2", "10.0.0.1", "10.0.0.3", "10.0.0.2", "10.0.0.1"], to: &aggregator)
        #expect(aggregator.groups.map(\.unit.name) == ["10.0.0.1", "10.0.0.2", "10.0.0.3"])
        #expect(aggregator.groups.map(\.count) == [3, 2, 1])
    }

    @Test("events of one unit in different windows form separate groups")
    func windowsSeparate() throws {
        var aggregator = BatchAggregator(rule: DetectionRule(), clock: Self.clock)
        let index = Self.window.index(of: Self.now)
        let previousWindow = Self.window.start(of: index) - 1
        let thisWindow = Self.window.start(of: index)
        _ = try Self.add(["1.2.3.4 \(previousWindow)", "1.2.3.4 \(thisWindow)", "1.2.3.4", "1.2.3.4 \(previousWindow)"], to: &aggregator)
        #expect(aggregator.groups.map(\.windowIndex) == [index - 1, index])
        #expect(aggregator.groups.map(\.count) == [2, 2])
    }

    @Test("the window length comes from the rule")
    func windowFromRule() throws {
        var aggregator = BatchAggregator(rule: DetectionRule(windowSeconds: 10), clock: EventClock(windowMilliseconds: 10_000))
        _ = try Self.add(["1.2.3.4"], to: &aggregator)
        #expect(aggregator.groups.first?.windowIndex == Self.now / 10_000)
    }

    @Test("IPv6 addresses of one /64 and an IPv4 client's two spellings each make one group")
    func unitsAggregate() throws {
        var aggregator = BatchAggregator(rule: DetectionRule(), clock: Self.clock)
        _ = try Self.add(["2001:db8:1:2::1", "2001:db8:1:2:aaaa::9", "2001:db8:1:3::1", "1.2.3.4", "::ffff:1.2.3.4"], to: &aggregator)
        #expect(aggregator.groups.map(\.unit.name) == ["2001:db8:1:2::/64", "2001:db8:1:3::/64", "1.2.3.4"])
        #expect(aggregator.groups.map(\.count) == [2, 1, 2])
    }

    @Test("rolling mode keeps every event time in arrival order under window index 0")
    func rollingKeepsEventTimes() throws {
        var aggregator = BatchAggregator(rule: DetectionRule(mode: .rolling), clock: Self.clock)
        let times: [Int64] = [Self.now - 50_000, Self.now, Self.now - 70, Self.now + 10]
        _ = try Self.add(times.map { "1.2.3.4 \($0)" } + ["1.2.3.4", "5.6.7.8 \(Self.now - 1)"], to: &aggregator)
        #expect(aggregator.groups == [
            UnitCount(
                unit: try #require(Self.unit("1.2.3.4")), windowIndex: 0, count: 5, eventTimes: times + [Self.now],
                latestTime: Self.now + 10),
            UnitCount(
                unit: try #require(Self.unit("5.6.7.8")), windowIndex: 0, count: 1, eventTimes: [Self.now - 1],
                latestTime: Self.now - 1),
        ])
    }

    @Test("fixed mode leaves event times empty")
    func fixedHasNoEventTimes() throws {
        var aggregator = BatchAggregator(rule: DetectionRule(mode: .fixed), clock: Self.clock)
        _ = try Self.add(["1.2.3.4 \(Self.now - 5)", "1.2.3.4", "2001:db8::1 \(Self.now)"], to: &aggregator)
        #expect(aggregator.groups.allSatisfy { $0.eventTimes.isEmpty })
        #expect(aggregator.groups.map(\.count) == [2, 1])
    }

    @Test(
        "skipped entries report why and are not counted",
        arguments: [
            ("127.0.0.1", EntryOutcome.allowlisted),
            ("::1", .allowlisted),
            ("::ffff:127.0.0.1", .allowlisted),
            ("127.0.0.1 0", .allowlisted),
            ("1.2.3.4 \(now - 60_001)", .stale),
            ("1.2.3.4 0", .stale),
            ("1.2.3.4 \(now + 5_001)", .future),
            ("1.2.3.4 9999999999999999", .future),
            ("1.2.3.4 \(now - 60_000)", .counted),
            ("1.2.3.4 \(now + 5_000)", .counted),
            ("1.2.3.4", .counted),
        ])
    func skippedEntries(text: String, outcome: EntryOutcome) throws {
        for mode in DetectionRule.Mode.allCases {
            var aggregator = BatchAggregator(rule: DetectionRule(mode: mode), clock: Self.clock)
            #expect(aggregator.add(try #require(Self.entry(text)), now: Self.now) == outcome)
            #expect(aggregator.groups.count == (outcome == .counted ? 1 : 0))
            #expect(aggregator.isEmpty == (outcome != .counted))
        }
    }

    @Test("reset empties the groups and the aggregator keeps working")
    func resetKeepsWorking() throws {
        var aggregator = BatchAggregator(rule: DetectionRule(), clock: Self.clock)
        _ = try Self.add(["1.2.3.4", "5.6.7.8", "1.2.3.4"], to: &aggregator)
        #expect(aggregator.groups.count == 2)
        aggregator.reset()
        #expect(aggregator.groups.isEmpty)
        #expect(aggregator.isEmpty)
        _ = try Self.add(["5.6.7.8", "9.9.9.9", "5.6.7.8"], to: &aggregator)
        #expect(aggregator.groups.map(\.unit.name) == ["5.6.7.8", "9.9.9.9"])
        #expect(aggregator.groups.map(\.count) == [2, 1])
    }

    @Test("reset(rule:clock:) adopts the reloaded rule")
    func resetAdoptsRule() throws {
        var aggregator = BatchAggregator(rule: DetectionRule(), clock: Self.clock)
        _ = try Self.add(["198.51.100.1"], to: &aggregator)
        let reloaded = DetectionRule(mode: .rolling, ipv4Prefix: 24, allowlist: [])
        aggregator.reset(rule: reloaded, clock: EventClock(windowMilliseconds: 1_000))
        #expect(aggregator.rule == reloaded)
        #expect(aggregator.clock.windowMilliseconds == 1_000)
        #expect(aggregator.isEmpty)
        let outcomes = try Self.add(["198.51.100.1", "198.51.100.2", "127.0.0.1", "1.2.3.4 \(Self.now - 2_000)"], to: &aggregator)
        #expect(outcomes == [.counted, .counted, .counted, .stale])
        #expect(aggregator.groups.map(\.unit.name) == ["198.51.100.0/24", "127.0.0.0/24"])
        #expect(aggregator.groups.map(\.eventTimes) == [[Self.now, Self.now], [Self.now]])
    }

    @Test("large random batches match a straightforward count, across many resets", arguments: DetectionRule.Mode.allCases)
    func matchesReferenceCount(mode: DetectionRule.Mode) throws {
        let rule = DetectionRule(mode: mode, ipv4Prefix: 24, ipv6Prefix: 64)
        var aggregator = BatchAggregator(rule: rule, clock: Self.clock, expectedGroups: 16)
        var random = SplitMix64(seed: 73)
        let pool = (0..<200).map { _ in random.anyAddress() }
        for _ in 0..<5 {
            aggregator.reset()
            var reference: [String: (count: Int, times: [Int64], latest: Int64)] = [:]
            var order: [String] = []
            for _ in 0..<3000 {
                let address = pool[Int.random(in: 0..<pool.count, using: &random)]
                let time = Self.now - Int64.random(in: -6_000...61_000, using: &random)
                let outcome = aggregator.add(QueueEntry(address: address, eventTimeMilliseconds: time), now: Self.now)
                guard case .current(let counted) = Self.clock.classify(eventTime: time, now: Self.now),
                    !rule.isAllowlisted(address)
                else {
                    #expect(outcome != .counted)
                    continue
                }
                #expect(outcome == .counted)
                // A sliding rule's counter is fixed (DetectionRule.counter); the aggregator counts it as one.
                let index = mode == .rolling ? 0 : Self.window.index(of: counted)
                let key = "\(rule.unit(for: address).name)#\(index)"
                if reference[key] == nil { order.append(key) }
                reference[key, default: (0, [], .min)].count += 1
                reference[key, default: (0, [], .min)].latest = max(reference[key]?.latest ?? .min, counted)
                if mode == .rolling { reference[key, default: (0, [], .min)].times.append(counted) }
            }
            #expect(aggregator.groups.map { "\($0.unit.name)#\($0.windowIndex)" } == order)
            #expect(aggregator.groups.map(\.count) == order.map { reference[$0]?.count ?? -1 })
            #expect(aggregator.groups.map(\.eventTimes) == order.map { reference[$0]?.times ?? [] })
            #expect(aggregator.groups.map(\.latestTime) == order.map { reference[$0]?.latest ?? -1 })
            #expect(Set(aggregator.groups.map { "\($0.unit.name)#\($0.windowIndex)" }).count == aggregator.groups.count)
        }
    }

    @Test("outcomes have a fixed set of cases")
    func outcomeCases() {
        #expect(EntryOutcome.allCases == [.counted, .allowlisted, .stale, .future])
    }
}
