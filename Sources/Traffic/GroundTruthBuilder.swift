import Detection

/// Collects ground truth while a feed runs: registers units as the generator starts them and counts what is
/// actually sent, request by request.
///
/// Units are kept by index in flat arrays so that counting a sent request is an array increment, cheap
/// enough for the feeder's hot path; event times are kept per unit only for timed feeds, where the window
/// peaks need them.
struct GroundTruthBuilder: Sendable {
    let setup: DetectionSetup
    let timed: Bool
    private var indexByUnit: [DetectionUnit: Int32] = [:]
    private(set) var units: [DetectionUnit] = []
    private(set) var kinds: [TrafficKind] = []
    /// Requests sent per unit index.
    private(set) var sent: [Int] = []
    private var times: [[Int64]] = []

    init(setup: DetectionSetup, timed: Bool) {
        self.setup = setup
        self.timed = timed
    }

    /// A gap between two requests of a unit longer than this starts a new visit.
    static let visitGapMilliseconds: Int64 = 1000

    /// The index of `unit`, registering it as `kind` when new; a unit keeps the kind it was first seen as.
    mutating func register(_ unit: DetectionUnit, kind: TrafficKind) -> Int32 {
        let candidate = Int32(truncatingIfNeeded: units.count)
        let index = Self.value(of: &indexByUnit[unit, default: candidate])
        if index == candidate {
            units.append(unit)
            kinds.append(kind)
            sent.append(0)
            if timed { times.append([]) }
        }
        return index
    }

    /// Counts one sent request of unit `index`, at `time` for a timed feed.
    @inline(__always)
    mutating func recordSent(unit index: Int32, time: Int64?) {
        let position = Int(index)
        sent[position] &+= 1
        if timed, let time { times[position].append(time) }
    }

    /// Requests sent so far for unit `index`.
    @inline(__always)
    func sentCount(at index: Int32) -> Int { sent[Int(index)] }

    /// The canonical name of unit `index`.
    func name(at index: Int32) -> String { units[Int(index)].name }

    /// The index of the unit named `name`, if the feed has started it.
    func index(ofUnitNamed name: String) -> Int32? {
        guard let unit = DetectionUnit.parse(name: name) else { return nil }
        return indexByUnit[unit]
    }

    /// Requests sent so far for the unit named `name`; nil for a unit this feed never started.
    func sentCount(ofUnitNamed name: String) -> Int? {
        index(ofUnitNamed: name).map { sent[Int($0)] }
    }

    /// The truth for every unit with at least one request sent, judged by every rule in its own window.
    func finish() -> GroundTruth {
        let rules = setup.rules
        var truths: [UnitTruth] = []
        truths.reserveCapacity(units.count)
        for position in units.indices where sent[position] > 0 {
            var peaksByWindow: [Int: WindowPeaks] = [:]
            func peaks(_ rule: DetectionRule) -> WindowPeaks {
                if let known = peaksByWindow[rule.windowSeconds] { return known }
                let computed =
                    timed
                    ? WindowPeaks(times: times[position], window: rule.fixedWindow)
                    : WindowPeaks(untimedCount: sent[position])
                peaksByWindow[rule.windowSeconds] = computed
                return computed
            }
            let over = rules.filter { peaks($0).peak(for: $0.mode) >= $0.threshold }.map(\.name)
            truths.append(
                UnitTruth(
                    name: units[position].name, kind: kinds[position], sent: sent[position], peaks: peaks(rules[0]),
                    expectedBlocked: !over.isEmpty, rulesOver: over, visits: timed ? Self.visits(times[position]) : 1))
        }
        return GroundTruth(setup: setup, timed: timed, canonicalUnits: truths)
    }

    /// Bursts in `times` separated by more than ``visitGapMilliseconds``.
    static func visits(_ times: [Int64]) -> Int {
        let sorted = times.sorted()
        var visits = sorted.isEmpty ? 0 : 1
        for index in sorted.indices.dropFirst() where sorted[index] - sorted[index - 1] > visitGapMilliseconds {
            visits += 1
        }
        return visits
    }

    /// Reads an `inout` value; passing a defaulted dictionary subscript here forces its inserting accessor.
    @inline(__always)
    private static func value(of slot: inout Int32) -> Int32 { slot }
}
