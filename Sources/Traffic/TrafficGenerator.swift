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
///
/// A chunk that cannot hold a whole bot at the end of a counted feed is filled with users; a straddling burst
/// that cannot be placed (no event times, or a bad point of the window, see ``StraddlePlacement``) becomes a
/// user. The same seed, rule, scenario, sequence of limits and timings give the same requests.
///
/// Ground truth counts what the caller reports as sent (``recordSent(_:range:)``), not what was generated.
public struct TrafficGenerator: Sendable {
    /// What to generate.
    public let scenario: TrafficScenario
    /// The rule units are named and judged by.
    public let rule: DetectionRule
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
    private var straddleTimes: [Int64] = []
    private var singleUnit: Int32?

    /// A unit started in the current chunk.
    private struct UnitPlan {
        var kind: TrafficKind
        var requests: Int
        /// The address of every request, or for a rotating bot the /64's upper bits with a random host each time.
        var address: IPAddress
        var rotating: Bool
        var unitIndex: Int32
        /// Next event time to use in `straddleTimes` (straddling bursts only).
        var timeCursor: Int
    }

    /// Creates a generator; `timed` decides whether requests carry event times (a straddle scenario needs them).
    public init(scenario: TrafficScenario, rule: DetectionRule, seed: UInt64, timed: Bool) {
        self.scenario = scenario
        self.rule = rule
        self.timed = timed
        self.placement = timed ? StraddlePlacement(rule: rule) : nil
        self.mix = scenario.mix
        self.random = SplitMix64(seed: seed)
        self.truth = GroundTruthBuilder(rule: rule, timed: timed)
    }

    /// Whether the scenario's mix includes straddling bursts that the generator can place (it needs times).
    public var placesStraddlingBursts: Bool { timed && mix.kinds.contains(.straddle) }

    /// Replaces `chunk`'s contents with the next requests: about `targetSize`, never more than `limit`.
    ///
    /// `timing` gives the event times (see ``ChunkTiming``); it is ignored, and may be nil, when the
    /// generator is untimed. A chunk may be somewhat longer than `targetSize`, by at most one unit's requests.
    public mutating func nextChunk(
        into chunk: inout TrafficChunk, limit: Int, timing: ChunkTiming?, targetSize: Int = 4096
    ) {
        chunk.removeAll()
        plans.removeAll(keepingCapacity: true)
        straddleTimes.removeAll(keepingCapacity: true)
        let limit = max(limit, 0)
        let target = max(targetSize, 1)
        let timing = timed ? (timing ?? ChunkTiming(startMilliseconds: 0)) : nil
        let boundary = boundaryForStraddles(timing: timing, targetSize: target)
        var planned = 0
        while planned < target, planned < limit {
            planned += planUnit(remaining: limit - planned, roomInChunk: target - planned, boundary: boundary)
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

    /// Starts one unit and returns how many requests it will make.
    private mutating func planUnit(remaining: Int, roomInChunk: Int, boundary: Int64?) -> Int {
        let threshold = max(rule.threshold, 1)
        if case .single(let address) = scenario {
            let unitIndex = singleUnit ?? truth.register(rule.unit(for: address), kind: .single)
            singleUnit = unitIndex
            let requests = min(remaining, roomInChunk)
            plans.append(
                UnitPlan(
                    kind: .single, requests: requests, address: address, rotating: false, unitIndex: unitIndex,
                    timeCursor: 0))
            return requests
        }
        var kind = mix.draw(using: &random)
        if kind == .straddle, boundary == nil { kind = .user }
        var requests: Int
        switch kind {
        case .bot, .rotate: requests = random.next(in: 2 * threshold...4 * threshold)
        case .nat: requests = random.next(in: 2 * threshold...3 * threshold)
        case .straddle, .user, .single: requests = 0
        }
        if kind == .straddle, let boundary, let placement, threshold >= 2 {
            let before = random.next(in: (threshold + 1) / 2...threshold - 1)
            let after = random.next(in: max(threshold - before, 1)...threshold - 1)
            if before + after <= remaining {
                let start = straddleTimes.count
                for _ in 0..<before { straddleTimes.append(boundary - 1 - Int64(random.next(below: Int(placement.halfSpan)))) }
                for _ in 0..<after { straddleTimes.append(boundary + Int64(random.next(below: Int(placement.halfSpan)))) }
                straddleTimes[start...].sort()
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
        case .user, .straddle, .single:
            kind = .user
            requests = min(random.next(in: 1...max(threshold - 1, 1)), remaining)
            address = pool.user(using: &random)
        }
        let unitIndex = truth.register(rule.unit(for: address), kind: kind)
        plans.append(
            UnitPlan(
                kind: kind, requests: requests, address: address, rotating: rotating, unitIndex: unitIndex,
                timeCursor: 0))
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
                if plan.kind == .straddle {
                    time = straddleTimes[plan.timeCursor]
                    plans[planIndex].timeCursor += 1
                } else {
                    time = timing.time(ofRequest: position)
                }
            }
            chunk.events.append(TrafficEvent(address: address, timeMilliseconds: time))
            chunk.unitIndices.append(unitIndex)
        }
    }
}
