import Detection
import Testing
import Traffic

@Suite("Fixed windows")
struct FixedWindowTests {
    static let minute = FixedWindow(lengthSeconds: 60)

    @Test("the length is in milliseconds and never below one second", arguments: [(60, 60_000), (1, 1_000), (3600, 3_600_000), (0, 1_000), (-5, 1_000)])
    func length(seconds: Int, milliseconds: Int64) {
        #expect(FixedWindow(lengthSeconds: seconds).lengthMilliseconds == milliseconds)
    }

    @Test(
        "times map to the window containing them, negative times included",
        arguments: [
            (0, 0), (1, 0), (59_999, 0), (60_000, 1), (60_001, 1), (119_999, 1), (120_000, 2),
            (-1, -1), (-59_999, -1), (-60_000, -1), (-60_001, -2), (-120_000, -2), (-120_001, -3),
            (1_700_000_000_000, 28_333_333), (1_700_000_039_999, 28_333_333), (1_700_000_040_000, 28_333_334),
        ] as [(Int64, Int64)])
    func index(time: Int64, index: Int64) {
        #expect(Self.minute.index(of: time) == index)
    }

    @Test(
        "window bounds and counter expiry",
        arguments: [
            (0, 0, 60_000, 120_000),
            (1, 60_000, 120_000, 180_000),
            (-1, -60_000, 0, 60_000),
            (-2, -120_000, -60_000, 0),
            (28_333_333, 1_699_999_980_000, 1_700_000_040_000, 1_700_000_100_000),
        ] as [(Int64, Int64, Int64, Int64)])
    func bounds(index: Int64, start: Int64, end: Int64, expiry: Int64) {
        #expect(Self.minute.start(of: index) == start)
        #expect(Self.minute.end(of: index) == end)
        #expect(Self.minute.counterExpiry(of: index) == expiry)
    }

    @Test("every time lies in its window: start <= t < end", arguments: [1, 10, 60, 3600, 86_400])
    func timesLieInTheirWindows(seconds: Int) {
        let window = FixedWindow(lengthSeconds: seconds)
        var random = SplitMix64(seed: UInt64(seconds))
        for _ in 0..<2000 {
            let time = Int64.random(in: -4_000_000_000_000...4_000_000_000_000, using: &random)
            let index = window.index(of: time)
            #expect(window.start(of: index) <= time && time < window.end(of: index), "\(time)")
            #expect(window.end(of: index) == window.start(of: index + 1))
            #expect(window.counterExpiry(of: index) == window.end(of: index) + window.lengthMilliseconds)
        }
    }

    @Test("the same minute of different hours and days gets different windows")
    func noMinuteOfHourCollision() {
        let tenOhFive: Int64 = 1_700_000_100_000
        let hourLater = tenOhFive + 3_600_000
        let dayLater = tenOhFive + 86_400_000
        // The tutorial's minute-of-hour key would be equal for all three.
        #expect((tenOhFive / 60_000) % 60 == (hourLater / 60_000) % 60)
        #expect(Self.minute.index(of: hourLater) == Self.minute.index(of: tenOhFive) + 60)
        #expect(Self.minute.index(of: dayLater) == Self.minute.index(of: tenOhFive) + 1440)
        let indices = Set([tenOhFive, hourLater, dayLater].map { Self.minute.index(of: $0) })
        #expect(indices.count == 3)
    }

    @Test("counters outlive their window by one window, so an event one window late still finds them")
    func expiryCoversLateEvents() {
        let clock = EventClock(windowMilliseconds: Self.minute.lengthMilliseconds)
        let index: Int64 = 28_333_333
        // The last moment an event of this window is still current...
        let lastEvent = Self.minute.end(of: index) - 1
        let lastNow = lastEvent + clock.windowMilliseconds
        #expect(clock.classify(eventTime: lastEvent, now: lastNow) == .current(lastEvent))
        // ...is before the counter expires.
        #expect(lastNow < Self.minute.counterExpiry(of: index))
    }

    @Test("extreme indices and times saturate instead of trapping")
    func extremes() {
        #expect(Self.minute.start(of: .max) == .max)
        #expect(Self.minute.end(of: .max) == .max)
        #expect(Self.minute.counterExpiry(of: .max) == .max)
        #expect(Self.minute.start(of: .min) == .min)
        #expect(Self.minute.index(of: .max) == Int64.max / 60_000)
        #expect(Self.minute.index(of: .min) == Int64.min / 60_000 - 1)
        #expect(FixedWindow(lengthSeconds: .max).lengthMilliseconds == .max)
        #expect(FixedWindow(lengthSeconds: .max).index(of: 1_700_000_000_000) == 0)
    }
}
