import Detection

/// Generates a scenario's requests chunk by chunk, deterministically for a seed, and keeps the ground truth
/// of what was sent.
///
/// Each chunk starts new units (drawn from the scenario's mix) until it holds about `targetSize` requests,
/// gives each unit its number of requests, and shuffles them together, so kinds interleave but every unit's
/// requests stay inside one chunk: a bot's burst is as short as the chunk. Request counts per unit, with
/// `T` the threshold:
///
/// | kind | requests |
/// | --- | --- |
/// | user | 1 … T−1 in total, so below the threshold in every window whatever the timing |
/// | bot, rotate | 2T … 4T, so a fixed-window boundary splitting the burst still leaves a window at T |
/// | nat | 2T … 3T from one IPv4 address, as if many users made a few requests each |
/// | straddle | a before and b after a window boundary, a, b ≤ T−1, a + b ≥ T, all within one window length |
/// | crawler | the threshold of the rule with the longest window, evenly spaced back in time so that every rule with a shorter window stays below its threshold |
/// | farm | 2T … 4T for each of max(`min_units`, 3) units of one range (an IPv4 /24 from 198.18.1.0/24 on, an IPv6 /48 from 2001:db8:f000::/36, by turns) |
/// | fresh | 1 … T−1 for each of 3 more units of a farm's range |
/// | user in `distinct` | 1 or 2 |
/// | user in `interleaved` | one per round: `addressesPerRound` users, each sent once per round in one seeded order |
/// | repeat | 2T … 4T at one moment, sent one after another, and twice more, each time once its ban (escalated, spread at most) has ended after the chunk was sent |
///
/// A chunk that cannot hold a whole bot at the end of a counted feed is filled with users; a straddling burst
/// or a crawler that cannot be placed (no event times, a bad point of the window, see ``StraddlePlacement``, or
/// rules a crawler cannot stay under) becomes a user. A repeat offender comes back only while the feed runs:
/// give the feed a `--duration` or `--rate` longer than the bans. The same seed, rules, scenario, sequence of
/// limits and timings give the same requests.
///
/// Ground truth counts what the caller reports as sent (``recordSent(_:range:)``), not what was generated.
public struct TrafficGenerator: Sendable {
    /// What to generate.
    public let scenario: TrafficScenario
    /// The rules, bans and ranges the traffic is shaped for and judged by.
    public let setup: DetectionSetup
    /// The first rule: it names units and sizes bursts.
    public var rule: DetectionRule { setup.rule }
    /// Whether requests carry event times.
    public let timed: Bool
    /// Where straddling bursts go; nil without event times.
    public let placement: StraddlePlacement?
    private let mix: ScenarioMix
    private var random: SplitMix64
    private var pool = AddressPool()
    private var truth: GroundTruthBuilder
    private var plans: [UnitPlan] = []
    private var slots: [Int32] = []
    /// Event times of the plans that bring their own (straddling bursts, crawlers, repeat offenders).
    private var plannedTimes: [Int64] = []
    private var singleUnit: Int32?
    /// Repeat offenders waiting for their ban to end, in the order they are due.
    private var returns: [Return] = []
    /// Farms started, alternating IPv4 and IPv6.
    private var farms: UInt64 = 0
    /// Spacing of a crawler's requests, or nil when the rules leave a crawler no room.
    private let crawlerSpacing: Int64?
    /// How long the current chunk takes to send, at most, in milliseconds (0 unpaced).
    private var chunkSpan: Int64 = 0
    /// The `interleaved` scenario's rounds; nil for every other scenario.
    private var rounds: InterleavedRounds?

    /// A repeat offender's next visit.
    private struct Return {
        var address: IPAddress
        var unitIndex: Int32
        var dueAt: Int64
        /// The visit it will make: 2 or 3.
        var visit: Int
    }

    /// Visits a repeat offender makes in all.
    static let repeatVisits = 3
    /// Time after a ban's longest possible end before the offender returns, for the worker's expiry round.
    static let returnMarginMilliseconds: Int64 = 2000

    /// A unit started in the current chunk.
    private struct UnitPlan {
        var kind: TrafficKind
        var requests: Int
        /// The address of every request, or for a rotating bot the /64's upper bits with a random host each time.
        var address: IPAddress
        var rotating: Bool
        var unitIndex: Int32
        /// Next event time to use in `plannedTimes`; nil for a plan timed by the chunk.
        var timeCursor: Int?
    }

    /// Creates a generator for one rule; `timed` decides whether requests carry event times (a straddle scenario
    /// needs them).
    public init(scenario: TrafficScenario, rule: DetectionRule, seed: UInt64, timed: Bool) {
        self.init(scenario: scenario, setup: DetectionSetup(rule: rule), seed: seed, timed: timed)
    }

    /// Creates a generator shaping and judging traffic by `setup`'s rules, bans and ranges; `addressesPerRound`
    /// is how many addresses the `interleaved` scenario cycles through (see ``FeedConfiguration/addressesPerRound``).
    public init(
        scenario: TrafficScenario, setup: DetectionSetup, seed: UInt64, timed: Bool, addressesPerRound: Int = 100_000
    ) {
        self.scenario = scenario
        self.setup = setup
        self.timed = timed
        self.placement = timed ? StraddlePlacement(rule: setup.rule) : nil
        self.mix = scenario.mix
        self.random = SplitMix64(seed: seed)
        self.truth = GroundTruthBuilder(setup: setup, timed: timed)
        self.crawlerSpacing = Self.crawlerSpacing(setup)
        if case .interleaved = scenario { rounds = InterleavedRounds(count: addressesPerRound, random: &random) }
    }

    /// The spacing that keeps a crawler below every rule with a window shorter than the longest rule's: more than
    /// window / (threshold − 1), so no span of one window holds a threshold's worth. With no such rule, its
    /// threshold spread over 40 % of the longest window. Nil when a shorter rule blocks on one request, or when
    /// the crawl would not fit in 40 % of the longest window (so it lands, unsplit, in one fixed window and none
    /// of it is stale by the time the worker reads it).
    static func crawlerSpacing(_ setup: DetectionSetup) -> Int64? {
        let long = setup.longestRule
        let longWindow = Int64(long.windowSeconds) * 1000
        var spacing: Int64 = 1
        let shorter = setup.rules.filter { $0.windowSeconds < long.windowSeconds }
        if shorter.isEmpty {
            spacing = max(1, longWindow * 2 / 5 / Int64(max(long.threshold, 1)))
        }
        for rule in shorter {
            guard rule.threshold >= 2 else { return nil }
            spacing = max(spacing, Int64(rule.windowSeconds) * 1000 / Int64(rule.threshold - 1) + 1)
        }
        guard Int64(max(long.threshold - 1, 0)) * spacing <= longWindow * 2 / 5 else { return nil }
        return spacing
    }

    /// Whether the scenario's mix includes straddling bursts that the generator can place (it needs times).
    public var placesStraddlingBursts: Bool { timed && mix.kinds.contains(.straddle) }

    /// Replaces `chunk`'s contents with the next requests: about `targetSize`, never more than `limit`.
    ///
    /// `timing` gives the event times (see ``ChunkTiming``); it is ignored, and may be nil, when the
    /// generator is untimed. A chunk may be somewhat longer than `targetSize`, by at most one unit's (or one
    /// farm's) requests.
    public mutating func nextChunk(
        into chunk: inout TrafficChunk, limit: Int, timing: ChunkTiming?, targetSize: Int = 4096
    ) {
        chunk.removeAll()
        plans.removeAll(keepingCapacity: true)
        plannedTimes.removeAll(keepingCapacity: true)
        let limit = max(limit, 0)
        let target = max(targetSize, 1)
        let timing = timed ? (timing ?? ChunkTiming(startMilliseconds: 0)) : nil
        if rounds != nil {
            fillInterleaved(&chunk, count: min(target, limit), timing: timing)
            return
        }
        let boundary = boundaryForStraddles(timing: timing, targetSize: target)
        var planned = 0
        if let timing {
            // A paced chunk is sent over this long: a visit at its start may be sent at its end.
            chunkSpan = Int64((Double(target + 4 * max(rule.threshold, 1)) * timing.millisecondsPerRequest).rounded(.up))
            planned += planReturns(now: timing.startMilliseconds, limit: limit, target: target)
        }
        while planned < target, planned < limit {
            planned += planUnit(
                remaining: limit - planned, roomInChunk: target - planned, boundary: boundary,
                now: timing?.startMilliseconds)
        }
        fill(&chunk, planned: planned, timing: timing)
    }

    /// Counts `chunk.events[range]` as sent, for the ground truth and the per-unit sent counts.
    public mutating func recordSent(_ chunk: TrafficChunk, range: Range<Int>) {
        if timed {
            for index in range {
                truth.recordSent(unit: chunk.unitIndices[index], time: chunk.events[index].timeMilliseconds)
            }
        } else {
            for index in range { truth.recordSent(unit: chunk.unitIndices[index], time: nil) }
        }
    }

    /// Counts `chunk.events[range]` as sent, like ``recordSent(_:range:)``, and appends to `crossed` the index
    /// of every unit whose sent count reaches `threshold` with one of these requests.
    mutating func recordSent(
        _ chunk: TrafficChunk, range: Range<Int>, reaching threshold: Int, into crossed: inout [Int32]
    ) {
        for index in range {
            let unit = chunk.unitIndices[index]
            truth.recordSent(unit: unit, time: timed ? chunk.events[index].timeMilliseconds : nil)
            if truth.sentCount(at: unit) == threshold { crossed.append(unit) }
        }
    }

    /// The canonical name of the unit with ground-truth index `index` (``TrafficChunk/unitIndices``).
    func unitName(at index: Int32) -> String {
        truth.name(at: index)
    }

    /// Requests sent so far for the unit called `name`, or nil for a unit this generator never started.
    public func sentCount(ofUnitNamed name: String) -> Int? {
        truth.sentCount(ofUnitNamed: name)
    }

    /// The ground truth of everything recorded as sent so far.
    public func groundTruth() -> GroundTruth {
        truth.finish()
    }

    /// Generates `count` requests as a paced feed starting at `startMilliseconds` would, records them all as
    /// sent, and returns them with their ground truth. For tests and small tools; the feeder streams chunks.
    public mutating func generate(
        count: Int, startMilliseconds: Int64 = 0, millisecondsPerRequest: Double = 0, targetSize: Int = 4096
    ) -> (events: [TrafficEvent], truth: GroundTruth) {
        var events: [TrafficEvent] = []
        events.reserveCapacity(max(count, 0))
        var chunk = TrafficChunk()
        while events.count < count {
            let timing = ChunkTiming(
                startMilliseconds: startMilliseconds + Int64(Double(events.count) * millisecondsPerRequest),
                millisecondsPerRequest: millisecondsPerRequest)
            nextChunk(into: &chunk, limit: count - events.count, timing: timing, targetSize: targetSize)
            recordSent(chunk, range: 0..<chunk.count)
            events.append(contentsOf: chunk.events)
        }
        return (events, groundTruth())
    }

    // MARK: - Planning

    /// The boundary this chunk's straddling bursts go around, or nil when it can hold none.
    private func boundaryForStraddles(timing: ChunkTiming?, targetSize: Int) -> Int64? {
        guard let timing, let placement, mix.kinds.contains(.straddle) else { return nil }
        let span = Int64((Double(targetSize) * timing.millisecondsPerRequest).rounded(.up))
        return placement.boundary(forChunkAt: timing.startMilliseconds, span: span)
    }

    /// Fills `chunk` with the next `count` requests of the `interleaved` rounds, each address a user's.
    private mutating func fillInterleaved(_ chunk: inout TrafficChunk, count: Int, timing: ChunkTiming?) {
        guard var rounds else { return }
        chunk.events.reserveCapacity(count)
        chunk.unitIndices.reserveCapacity(count)
        for position in 0..<count {
            let (slot, drawn) = rounds.next()
            let address: IPAddress
            let unit: Int32
            if let drawn {
                (address, unit) = drawn
            } else {
                address = pool.user(using: &random)
                unit = truth.register(rule.unit(for: address), kind: .user)
                rounds.remember(slot, address: address, unit: unit)
            }
            chunk.events.append(TrafficEvent(address: address, timeMilliseconds: timing?.time(ofRequest: position)))
            chunk.unitIndices.append(unit)
        }
        self.rounds = rounds
    }

    /// Plans the visits of repeat offenders that are due at `now`, as many as fit; returns their requests.
    private mutating func planReturns(now: Int64, limit: Int, target: Int) -> Int {
        var planned = 0
        while let next = returns.first, next.dueAt <= now {
            let threshold = max(rule.threshold, 1)
            let requests = random.next(in: 2 * threshold...4 * threshold)
            guard planned + requests <= min(limit, target) else { break }
            returns.removeFirst()
            planBurst(
                address: next.address, unitIndex: next.unitIndex, requests: requests, at: now, visit: next.visit)
            planned += requests
        }
        return planned
    }

    /// Plans a repeat offender's burst of `requests` at `now`, all within a few milliseconds, and schedules its
    /// next visit once the ban this burst earns has surely ended; a ban for good ends its visits.
    private mutating func planBurst(address: IPAddress, unitIndex: Int32, requests: Int, at now: Int64, visit: Int) {
        let start = plannedTimes.count
        for index in 0..<requests { plannedTimes.append(now + Int64(index)) }
        plans.append(
            UnitPlan(
                kind: .repeatOffender, requests: requests, address: address, rotating: false, unitIndex: unitIndex,
                timeCursor: start))
        guard visit < Self.repeatVisits,
              let ban = setup.longestBanMilliseconds(ofBurst: requests, offence: visit)
        else { return }
        let due = now + chunkSpan + Int64(requests) + ban + Self.returnMarginMilliseconds
        let position = returns.firstIndex { $0.dueAt > due } ?? returns.count
        returns.insert(Return(address: address, unitIndex: unitIndex, dueAt: due, visit: visit + 1), at: position)
    }

    /// Plans a crawler of the longest rule's threshold requests, spaced by ``crawlerSpacing``, ending at `now`
    /// within the longest rule's current fixed window, or at the end of the previous one when too little of the
    /// current has passed; returns its requests, or nil when it cannot be placed.
    private mutating func planCrawler(remaining: Int, now: Int64?) -> Int? {
        guard let now, let spacing = crawlerSpacing else { return nil }
        let long = setup.longestRule
        let requests = max(long.threshold, 1)
        guard requests <= remaining else { return nil }
        let span = Int64(requests - 1) * spacing
        let window = long.fixedWindow
        let windowStart = window.start(of: window.index(of: now))
        let end = now - windowStart >= span ? now : windowStart - 1
        let start = plannedTimes.count
        for index in 0..<requests { plannedTimes.append(end - span + Int64(index) * spacing) }
        let address = pool.crawler()
        let unitIndex = truth.register(rule.unit(for: address), kind: .crawler)
        plans.append(
            UnitPlan(
                kind: .crawler, requests: requests, address: address, rotating: false, unitIndex: unitIndex,
                timeCursor: start))
        return requests
    }

    /// Plans a farm: several bots over the threshold in one range, then fresh addresses of the same range under
    /// it; returns their requests, or nil when the farm does not fit in what the feed has left.
    private mutating func planFarm(remaining: Int) -> Int? {
        let threshold = max(rule.threshold, 1)
        let bots = max(setup.ranges.isOn ? setup.ranges.minUnits : 0, 3)
        var counts = (0..<bots).map { _ in random.next(in: 2 * threshold...4 * threshold) }
        counts += (0..<3).map { _ in random.next(in: 1...max(threshold - 1, 1)) }
        let total = counts.reduce(0, +)
        guard total <= remaining else { return nil }
        defer { farms &+= 1 }
        let addresses = pool.farm(
            number: farms, bots: bots, fresh: 3, ipv4Prefix: setup.ranges.ipv4Prefix,
            ipv6Prefix: setup.ranges.ipv6Prefix, random: &random)
        for (index, address) in addresses.enumerated() {
            let kind: TrafficKind = index < bots ? .farm : .fresh
            let unitIndex = truth.register(rule.unit(for: address), kind: kind)
            plans.append(
                UnitPlan(
                    kind: kind, requests: counts[index], address: address, rotating: false, unitIndex: unitIndex,
                    timeCursor: nil))
        }
        return total
    }

    /// Starts one unit (a farm: several) and returns how many requests it will make.
    private mutating func planUnit(remaining: Int, roomInChunk: Int, boundary: Int64?, now: Int64?) -> Int {
        let threshold = max(rule.threshold, 1)
        if case .single(let address) = scenario {
            let unitIndex = singleUnit ?? truth.register(rule.unit(for: address), kind: .single)
            singleUnit = unitIndex
            let requests = min(remaining, roomInChunk)
            plans.append(
                UnitPlan(
                    kind: .single, requests: requests, address: address, rotating: false, unitIndex: unitIndex,
                    timeCursor: nil))
            return requests
        }
        var kind = mix.draw(using: &random)
        if kind == .straddle, boundary == nil { kind = .user }
        if kind == .crawler {
            if let requests = planCrawler(remaining: remaining, now: now) { return requests }
            kind = .user
        }
        if kind == .farm {
            if let requests = planFarm(remaining: remaining) { return requests }
            kind = .user
        }
        var requests: Int
        switch kind {
        case .bot, .rotate, .repeatOffender: requests = random.next(in: 2 * threshold...4 * threshold)
        case .nat: requests = random.next(in: 2 * threshold...3 * threshold)
        case .straddle, .user, .single, .crawler, .farm, .fresh: requests = 0
        }
        if kind == .straddle, let boundary, let placement, threshold >= 2 {
            let before = random.next(in: (threshold + 1) / 2...threshold - 1)
            let after = random.next(in: max(threshold - before, 1)...threshold - 1)
            if before + after <= remaining {
                let start = plannedTimes.count
                for _ in 0..<before { plannedTimes.append(boundary - 1 - Int64(random.next(below: Int(placement.halfSpan)))) }
                for _ in 0..<after { plannedTimes.append(boundary + Int64(random.next(below: Int(placement.halfSpan)))) }
                plannedTimes[start...].sort()
                let address = pool.straddle(using: &random)
                let unitIndex = truth.register(rule.unit(for: address), kind: .straddle)
                plans.append(
                    UnitPlan(
                        kind: .straddle, requests: before + after, address: address, rotating: false,
                        unitIndex: unitIndex, timeCursor: start))
                return before + after
            }
            kind = .user
        } else if kind == .straddle {
            kind = .user
        }
        if requests > remaining {
            // A whole burst does not fit in what the feed has left: fill the rest with users.
            kind = .user
        }
        if kind == .repeatOffender {
            let address = pool.bot(using: &random)
            let unitIndex = truth.register(rule.unit(for: address), kind: .repeatOffender)
            if let now {
                planBurst(address: address, unitIndex: unitIndex, requests: requests, at: now, visit: 1)
            } else {
                plans.append(
                    UnitPlan(
                        kind: .repeatOffender, requests: requests, address: address, rotating: false,
                        unitIndex: unitIndex, timeCursor: nil))
            }
            return requests
        }
        let address: IPAddress
        var rotating = false
        switch kind {
        case .bot:
            address = pool.bot(using: &random)
        case .nat:
            address = pool.nat()
        case .rotate:
            address = .v6(high: pool.rotatingSubnet(), low: 0)
            rotating = true
        case .user, .straddle, .single, .crawler, .farm, .fresh, .repeatOffender:
            kind = .user
            // `distinct`: most addresses seen once or twice, so nearly every request is a new unit.
            let most = scenario == .distinct ? min(2, max(threshold - 1, 1)) : max(threshold - 1, 1)
            requests = min(random.next(in: 1...most), remaining)
            address = pool.user(using: &random)
        }
        let unitIndex = truth.register(rule.unit(for: address), kind: kind)
        plans.append(
            UnitPlan(
                kind: kind, requests: requests, address: address, rotating: rotating, unitIndex: unitIndex,
                timeCursor: nil))
        return requests
    }

    /// Shuffles the planned units' requests together into `chunk`.
    private mutating func fill(_ chunk: inout TrafficChunk, planned: Int, timing: ChunkTiming?) {
        slots.removeAll(keepingCapacity: true)
        slots.reserveCapacity(planned)
        for (index, plan) in plans.enumerated() {
            for _ in 0..<plan.requests { slots.append(Int32(truncatingIfNeeded: index)) }
        }
        // Fisher–Yates with the seeded generator, so the interleaving is part of what the seed fixes.
        if slots.count > 1 {
            for index in stride(from: slots.count - 1, to: 0, by: -1) {
                slots.swapAt(index, random.next(below: index + 1))
            }
        }
        // A repeat offender's visit is sent in one go where its first request fell, so its ban begins and ends
        // between visits, not in the middle of one spread over a paced chunk.
        if plans.contains(where: { $0.kind == .repeatOffender }) {
            var placed = Set<Int32>()
            var ordered: [Int32] = []
            ordered.reserveCapacity(slots.count)
            for slot in slots {
                let plan = plans[Int(slot)]
                guard plan.kind == .repeatOffender else {
                    ordered.append(slot)
                    continue
                }
                if placed.insert(slot).inserted { ordered += repeatElement(slot, count: plan.requests) }
            }
            slots = ordered
        }
        chunk.events.reserveCapacity(slots.count)
        chunk.unitIndices.reserveCapacity(slots.count)
        // With prefixes longer than /64, each rotated address can be a unit of its own.
        let rotationSplitsUnits = rule.ipv6Prefix > 64
        for (position, slot) in slots.enumerated() {
            let planIndex = Int(slot)
            let plan = plans[planIndex]
            var address = plan.address
            var unitIndex = plan.unitIndex
            if plan.rotating, case .v6(let high, _) = plan.address {
                address = AddressPool.host(in: high, random: &random)
                if rotationSplitsUnits { unitIndex = truth.register(rule.unit(for: address), kind: .rotate) }
            }
            var time: Int64?
            if let timing {
                if let cursor = plan.timeCursor {
                    time = plannedTimes[cursor]
                    plans[planIndex].timeCursor = cursor + 1
                } else {
                    time = timing.time(ofRequest: position)
                }
            }
            chunk.events.append(TrafficEvent(address: address, timeMilliseconds: time))
            chunk.unitIndices.append(unitIndex)
        }
    }
}
