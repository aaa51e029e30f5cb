import Detection

/// Every unit a feed sent requests for, which of them the rules should block, and which ranges.
///
/// Built by the feeder from what it actually sent (not from what it planned), so a feed cut short by
/// `--duration` or an error still has exact truth. Units are named canonically with the Detection module
/// (``DetectionRule/unit(for:)``), so they compare directly with blocklist members.
public struct GroundTruth: Sendable {
    /// The rules, bans and range policy the expectations were computed under.
    public let setup: DetectionSetup
    /// The first rule: it names the units, and its window's peaks are ``UnitTruth/peaks``.
    public var rule: DetectionRule { setup.rule }
    /// Whether the requests carried event times; without them, each unit's requests count as one window.
    public let timed: Bool
    /// The units, in the order their first request was generated.
    public let units: [UnitTruth]
    private let indexByName: [String: Int]

    /// Truth for hand-picked units, for tests and tools; names are canonicalised with ``DetectionUnit/parse(name:)``.
    public init(rule: DetectionRule, timed: Bool, units: [UnitTruth]) {
        self.init(setup: DetectionSetup(rule: rule), timed: timed, units: units)
    }

    /// Truth for hand-picked units judged under `setup`; names are canonicalised with ``DetectionUnit/parse(name:)``.
    public init(setup: DetectionSetup, timed: Bool, units: [UnitTruth]) {
        self.setup = setup
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
    init(setup: DetectionSetup, timed: Bool, canonicalUnits units: [UnitTruth]) {
        self.setup = setup
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

    /// Units the rules should block.
    public var expectedBlocked: [UnitTruth] { units.filter(\.expectedBlocked) }

    /// The ranges a correct worker bans, by name, each with the units of this feed that ban it: ranges holding
    /// at least ``RangeBanPolicy/minUnits`` units over an enforcing rule, none holding an allowlisted address.
    /// Empty while range bans are off.
    ///
    /// The units' bans are taken to overlap, as they do when a feed is shorter than a ban.
    public var expectedRanges: [String: [String]] {
        let policy = setup.ranges
        guard policy.isOn else { return [:] }
        let enforcing = Set(setup.rules.filter { !$0.dryRun }.map(\.name))
        var members: [String: [String]] = [:]
        for unit in units where unit.rulesOver.contains(where: enforcing.contains) {
            guard let parsed = DetectionUnit.parse(name: unit.name), let range = policy.range(of: parsed),
                  !RangeBanPolicy.overlaps(range, rule.allowlist)
            else { continue }
            members[range.description, default: []].append(unit.name)
        }
        return members.filter { $0.value.count >= policy.minUnits }
    }

    /// The range `unitName` belongs to under the setup's range policy, or nil (range bans off, or no range).
    public func rangeName(ofUnit unitName: String) -> String? {
        guard setup.ranges.isOn, let unit = DetectionUnit.parse(name: unitName) else { return nil }
        return setup.ranges.range(of: unit)?.description
    }
}
