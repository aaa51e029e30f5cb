import Detection

/// Every unit a feed sent requests for, and which of them the rule should block.
///
/// Built by the feeder from what it actually sent (not from what it planned), so a feed cut short by
/// `--duration` or an error still has exact truth. Units are named canonically with the Detection module
/// (``DetectionRule/unit(for:)``), so they compare directly with blocklist members.
public struct GroundTruth: Sendable {
    /// The rule the expectations were computed under: mode, threshold, window and unit prefixes.
    public let rule: DetectionRule
    /// Whether the requests carried event times; without them, each unit's requests count as one window.
    public let timed: Bool
    /// The units, in the order their first request was generated.
    public let units: [UnitTruth]
    private let indexByName: [String: Int]

    /// Truth for hand-picked units, for tests and tools; names are canonicalised with ``DetectionUnit/parse(name:)``.
    public init(rule: DetectionRule, timed: Bool, units: [UnitTruth]) {
        self.rule = rule
        self.timed = timed
        var canonical = units
        var index: [String: Int] = [:]
        index.reserveCapacity(units.count)
        for position in canonical.indices {
            if let unit = DetectionUnit.parse(name: canonical[position].name) { canonical[position].name = unit.name }
            index[canonical[position].name] = position
        }
        self.units = canonical
        self.indexByName = index
    }

    /// Truth whose unit names are already canonical, as ``GroundTruthBuilder`` makes them.
    init(rule: DetectionRule, timed: Bool, canonicalUnits units: [UnitTruth]) {
        self.rule = rule
        self.timed = timed
        var index: [String: Int] = [:]
        index.reserveCapacity(units.count)
        for (position, unit) in units.enumerated() { index[unit.name] = position }
        self.units = units
        self.indexByName = index
    }

    /// The unit called `name` (any spelling ``DetectionUnit/parse(name:)`` accepts), or nil if the feed sent none.
    public func unit(named name: String) -> UnitTruth? {
        if let position = indexByName[name] { return units[position] }
        guard let canonical = DetectionUnit.parse(name: name)?.name, let position = indexByName[canonical] else {
            return nil
        }
        return units[position]
    }

    /// Requests sent, all units together.
    public var requestCount: Int { units.reduce(0) { $0 + $1.sent } }

    /// Units per kind.
    public var unitCounts: [TrafficKind: Int] {
        units.reduce(into: [:]) { $0[$1.kind, default: 0] += 1 }
    }

    /// Units the rule should block.
    public var expectedBlocked: [UnitTruth] { units.filter(\.expectedBlocked) }
}
