import Detection
import Testing
import Traffic

@Suite("WindowPeaks")
struct WindowPeaksTests {
    let window = FixedWindow(lengthSeconds: 10)

    @Test("fixed peaks count per epoch window; rolling peaks per span of one window, both ends included; sliding estimates between them")
    func peaks() {
        // 3 just before the boundary at 20 000, 3 just after: fixed sees 3, rolling 6.
        let straddle = WindowPeaks(times: [19_997, 20_002, 19_998, 20_000, 19_999, 20_001], window: window)
        // Sliding: at 20 002 the 3 of the window before weigh 9 998/10 000, 2 rounded down, beside 3: 5.
        #expect(straddle == WindowPeaks(fixed: 3, sliding: 5, rolling: 6))
        // Exactly one window apart: both in the rolling span (the worker keeps t >= now - window).
        // Sliding: at 40 000 the window before (30 000 in it) weighs 1, at 40 001 9 999/10 000, 0 rounded down.
        #expect(WindowPeaks(times: [30_000, 40_000], window: window) == WindowPeaks(fixed: 1, sliding: 2, rolling: 2))
        #expect(WindowPeaks(times: [30_000, 40_001], window: window) == WindowPeaks(fixed: 1, sliding: 1, rolling: 1))
        #expect(WindowPeaks(times: [], window: window) == WindowPeaks(fixed: 0, sliding: 0, rolling: 0))
        #expect(WindowPeaks(untimedCount: 7) == WindowPeaks(fixed: 7, sliding: 7, rolling: 7))
        #expect(WindowPeaks(fixed: 2, sliding: 4, rolling: 5).peak(for: .rolling) == 5)
        #expect(WindowPeaks(fixed: 2, sliding: 4, rolling: 5).peak(for: .sliding) == 4)
    }

    @Test("a sliding peak weighs only the window just before; one further back counts nothing")
    func slidingPeak() {
        // 8 early in window 1, then 2 at the start of window 2 (weight 1 − 500/10 000: 8 × 0.95 = 7, rounded
        // down) and 2 at the start of window 4 (window 3 empty).
        let times: [Int64] = (0..<8).map { 10_000 + Int64($0) } + [20_400, 20_500, 40_000, 40_001]
        let peaks = WindowPeaks(times: times, window: window)
        #expect(peaks.sliding == 9)
        #expect(peaks.fixed == 8)
    }
}
