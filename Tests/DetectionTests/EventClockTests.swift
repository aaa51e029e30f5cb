import Detection
import Testing

@Suite("Event clock")
struct EventClockTests {
    static let now: Int64 = 1_700_000_000_000
    static let clock = EventClock(windowMilliseconds: 60_000)

    @Test(
        "event times are classified against now with inclusive bounds",
        arguments: [
            (-60_000, EventTiming.current(now - 60_000)),
            (-60_001, .stale),
            (-59_999, .current(now - 59_999)),
            (-1_000_000, .stale),
            (-1, .current(now - 1)),
            (0, .current(now)),
            (1, .current(now + 1)),
            (5_000, .current(now + 5_000)),
            (5_001, .future),
            (1_000_000, .future),
        ] as [(Int64, EventTiming)])
    func classification(offset: Int64, expected: EventTiming) {
        #expect(Self.clock.classify(eventTime: Self.now + offset, now: Self.now) == expected)
    }

    @Test("an entry without a time counts now")
    func untimedIsNow() {
        #expect(Self.clock.classify(eventTime: nil, now: Self.now) == .current(Self.now))
        #expect(Self.clock.classify(eventTime: nil, now: 0) == .current(0))
    }

    @Test("the default future skew is five seconds")
    func defaultSkew() {
        #expect(Self.clock.maximumFutureSkewMilliseconds == 5000)
        #expect(Self.clock.windowMilliseconds == 60_000)
    }

    @Test("custom window and skew move the bounds", arguments: [(1_000, 0), (10_000, 250), (3_600_000, 60_000)] as [(Int64, Int64)])
    func customBounds(window: Int64, skew: Int64) {
        let clock = EventClock(windowMilliseconds: window, maximumFutureSkewMilliseconds: skew)
        let now = Self.now
        #expect(clock.classify(eventTime: now - window, now: now) == .current(now - window))
        #expect(clock.classify(eventTime: now - window - 1, now: now) == .stale)
        #expect(clock.classify(eventTime: now + skew, now: now) == .current(now + skew))
        #expect(clock.classify(eventTime: now + skew + 1, now: now) == .future)
    }

    @Test("time 0 is a valid, if stale, event time")
    func epochIsStale() {
        #expect(Self.clock.classify(eventTime: 0, now: Self.now) == .stale)
        #expect(Self.clock.classify(eventTime: 0, now: 30_000) == .current(0))
    }

    @Test("extreme values saturate instead of trapping")
    func extremes() {
        let huge = EventClock(windowMilliseconds: .max, maximumFutureSkewMilliseconds: .max)
        #expect(huge.classify(eventTime: .min, now: -1) == .current(.min))
        #expect(huge.classify(eventTime: .max, now: 1) == .current(.max))
        #expect(Self.clock.classify(eventTime: .max, now: .max) == .current(.max))
        #expect(Self.clock.classify(eventTime: .min, now: .min) == .current(.min))
        #expect(Self.clock.classify(eventTime: .min, now: .max) == .stale)
        #expect(Self.clock.classify(eventTime: .max, now: .min) == .future)
    }
}
