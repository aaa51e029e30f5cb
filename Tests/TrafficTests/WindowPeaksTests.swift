import Detection
import Testing
import Traffic

@Suite("WindowPeaks")
struct WindowPeaksTests {
    let window = FixedWindow(lengthSeconds: 10)

    @Test("fixed peaks count per epoch window; rolling peaks per span of one window, both ends included")
    func peaks() {
        // 3 just before the boundary at 20 000, 3 just after: fixed sees 3, rolling 6.
        let straddle = WindowPeaks(times: [19_997, 20_002, 19_998, 20_000, 19_999, 20_001], window: window)
        #expect(straddle == WindowPeaks(fixed: 3, rolling: 6))
        // Exactly one window apart: both in the rolling span (the worker keeps t >= now - window).
        #expect(WindowPeaks(times: [30_000, 40_000], window: window) == WindowPeaks(fixed: 1, rolling: 2))
        #expect(WindowPeaks(times: [30_000, 40_001], window: window) == WindowPeaks(fixed: 1, rolling: 1))
        #expect(WindowPeaks(times: [], window: window) == WindowPeaks(fixed: 0, rolling: 0))
        #expect(WindowPeaks(untimedCount: 7) == WindowPeaks(fixed: 7, rolling: 7))
        #expect(WindowPeaks(fixed: 2, rolling: 5).peak(for: .rolling) == 5)
    }
}
