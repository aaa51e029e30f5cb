/// Adds up a batch's entries per unit and window, so each pair costs one counter update.
///
/// A batch of a thousand entries from a few busy clients becomes a few `INCRBY`s instead of a thousand
/// `INCR`s. Reuse one aggregator for every batch and ``reset()`` it between them: the table and group
/// storage keep their capacity, so steady-state batches allocate almost nothing (in rolling mode, each
/// group's event-time array is still allocated per batch).
public struct BatchAggregator: Sendable {
    /// A group's identity: its unit and window.
    private struct GroupKey: Hashable, Sendable {
        let unit: DetectionUnit
        let windowIndex: Int64
    }

    /// The rule entries are judged by.
    public private(set) var rule: DetectionRule
    /// The clock policy event times are judged by.
    public private(set) var clock: EventClock
    private var window: FixedWindow
    /// Index of each key's group in `storage`.
    private var slots: [GroupKey: Int]
    private var storage: [UnitCount]

    /// Creates an empty aggregator with room for `expectedGroups` groups before it grows.
    ///
    /// Fixed windows come from `rule.windowSeconds`; `clock` decides which events are too old or too new.
    public init(rule: DetectionRule, clock: EventClock, expectedGroups: Int = 1024) {
        self.rule = rule
        self.clock = clock
        window = rule.fixedWindow
        slots = [:]
        storage = []
        slots.reserveCapacity(max(expectedGroups, 0))
        storage.reserveCapacity(max(expectedGroups, 0))
    }

    /// The groups so far, in the order their first entry arrived, so output is deterministic.
    public var groups: [UnitCount] { storage }

    /// Whether no entry has been counted since the last reset.
    public var isEmpty: Bool { storage.isEmpty }

    /// Forgets all groups but keeps the allocated capacity for the next batch.
    public mutating func reset() {
        slots.removeAll(keepingCapacity: true)
        storage.removeAll(keepingCapacity: true)
    }

    /// Forgets all groups and adopts a reloaded rule and clock, keeping the allocated capacity.
    public mutating func reset(rule: DetectionRule, clock: EventClock) {
        reset()
        self.rule = rule
        self.clock = clock
        window = rule.fixedWindow
    }

    /// Counts `entry` into its group, or says why it was skipped; `now` is Unix milliseconds.
    ///
    /// The allowlist is checked before the time, so an allowlisted client is reported as such even with a
    /// bad clock. Entries without a time count at `now`.
    public mutating func add(_ entry: QueueEntry, now: Int64) -> EntryOutcome {
        if rule.isAllowlisted(entry.address) { return .allowlisted }
        let time: Int64
        switch clock.classify(eventTime: entry.eventTimeMilliseconds, now: now) {
        case .stale: return .stale
        case .future: return .future
        case .current(let eventTime): time = eventTime
        }
        let rolling = rule.mode == .rolling
        let key = GroupKey(unit: rule.unit(for: entry.address), windowIndex: rolling ? 0 : window.index(of: time))
        // One hash lookup for both cases: the defaulted subscript's modify access inserts `candidate` when
        // the key is new, and existing slots are always below `candidate`.
        let candidate = storage.count
        let slot = Self.value(of: &slots[key, default: candidate])
        if slot == candidate {
            storage.append(
                UnitCount(
                    unit: key.unit, windowIndex: key.windowIndex, count: 1, eventTimes: rolling ? [time] : [],
                    latestTime: time))
        } else {
            storage[slot].count += 1
            if time > storage[slot].latestTime { storage[slot].latestTime = time }
            if rolling { storage[slot].eventTimes.append(time) }
        }
        return .counted
    }

    /// Reads an `inout` value; passing a defaulted dictionary subscript here forces its inserting accessor.
    @inline(__always)
    private static func value(of slot: inout Int) -> Int { slot }
}
