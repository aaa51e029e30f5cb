import Detection
import Testing

/// The sliding estimate the worker's sliding rules and the feed's ground truth both use.
@Suite("Sliding window estimate: the previous window weighted by its overlap")
struct SlidingWindowEstimateTests {
    let window = FixedWindow(lengthSeconds: 60)

    @Test("at a window's start all of the previous window counts, halfway half, at its end none")
    func weightFallsAcrossTheWindow() {
        let start = window.start(of: 100)
        #expect(SlidingWindowEstimate.weightedPrevious(10, window: window, index: 100, now: start) == 10)
        #expect(SlidingWindowEstimate.weightedPrevious(10, window: window, index: 100, now: start + 30_000) == 5)
        #expect(SlidingWindowEstimate.weightedPrevious(10, window: window, index: 100, now: start + 59_999) == 0)
        #expect(SlidingWindowEstimate.count(current: 4, previous: 10, window: window, index: 100, now: start + 15_000)
            == 4 + 7, "10 × 45/60 = 7.5, rounded down")
    }

    @Test("a time outside the window is clamped into it")
    func clampsTime() {
        let start = window.start(of: 100)
        #expect(SlidingWindowEstimate.weightedPrevious(10, window: window, index: 100, now: start - 5000) == 10)
        #expect(SlidingWindowEstimate.weightedPrevious(10, window: window, index: 100, now: start + 120_000) == 0)
    }

    @Test("huge counts and windows neither trap nor lose the weighting")
    func noOverflow() {
        let week = FixedWindow(lengthSeconds: DetectionRule.maximumWindowSeconds)
        let start = week.start(of: 3)
        let half = start + week.lengthMilliseconds / 2
        #expect(SlidingWindowEstimate.weightedPrevious(Int.max, window: week, index: 3, now: half) == Int.max / 2)
        #expect(SlidingWindowEstimate.weightedPrevious(0, window: week, index: 3, now: half) == 0)
    }
}
