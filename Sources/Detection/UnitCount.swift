/// One unit's share of a batch in one window: what a single counter update adds.
public struct UnitCount: Hashable, Sendable {
    /// The unit counted.
    public let unit: DetectionUnit
    /// The fixed window the events fall in; always 0 in rolling mode, where windows do not apply.
    public let windowIndex: Int64
    /// How many of the batch's entries belong here.
    public internal(set) var count: Int
    /// Every event time of the unit in the batch, in arrival order, in Unix milliseconds; rolling mode
    /// only (empty in fixed mode, where one sum is all the counter needs).
    public internal(set) var eventTimes: [Int64]
    /// The latest event time of the unit in the batch, Unix ms: where a sliding rule weighs the window before
    /// (``SlidingWindowEstimate``); 0 when unknown.
    public internal(set) var latestTime: Int64

    /// Creates a group; the aggregator builds these, tests and tools may too.
    public init(unit: DetectionUnit, windowIndex: Int64, count: Int, eventTimes: [Int64] = [], latestTime: Int64 = 0) {
        self.unit = unit
        self.windowIndex = windowIndex
        self.count = count
        self.eventTimes = eventTimes
        self.latestTime = latestTime
    }
}
