/// Decides whether an event's time is usable, relative to the worker's clock.
///
/// Producers stamp events with their own clocks and the queue may lag, so event times are trusted only
/// within a band: up to one window in the past (the late-arrival allowance that
/// ``FixedWindow/counterExpiry(of:)`` keeps counters alive for) and a few seconds in the future (skew
/// between machines). Both bounds are inclusive.
public struct EventClock: Sendable, Hashable {
    /// How far in the past an event may be and still count; normally the detection window.
    public var windowMilliseconds: Int64
    /// How far ahead of now an event may be, to absorb clock differences between producers and the worker.
    public var maximumFutureSkewMilliseconds: Int64 = 5000

    /// Creates a clock policy.
    public init(windowMilliseconds: Int64, maximumFutureSkewMilliseconds: Int64 = 5000) {
        self.windowMilliseconds = windowMilliseconds
        self.maximumFutureSkewMilliseconds = maximumFutureSkewMilliseconds
    }

    /// Classifies an event at `eventTime` (nil: untimed) seen at `now`, both in Unix milliseconds.
    ///
    /// Untimed events are current at `now`. Otherwise `eventTime < now - window` is stale,
    /// `eventTime > now + skew` is future, and anything in between counts at its own time.
    public func classify(eventTime: Int64?, now: Int64) -> EventTiming {
        guard let eventTime else { return .current(now) }
        if eventTime < now.saturatingSubtract(windowMilliseconds) { return .stale }
        if eventTime > now.saturatingAdd(maximumFutureSkewMilliseconds) { return .future }
        return .current(eventTime)
    }
}
