import Detection

/// The most requests a unit had in one window, counted the three ways the worker can count.
///
/// Ground truth compares these with the threshold: ``fixed`` is the largest count in any epoch-numbered
/// fixed window, ``rolling`` the largest number of requests within any span of one window length (both
/// ends included, as the worker keeps events no older than `now - window`), ``sliding`` the largest sliding
/// estimate (``SlidingWindowEstimate``) at any of the unit's requests.
public struct WindowPeaks: Sendable, Hashable, Codable {
    /// Most requests in one fixed window.
    public var fixed: Int
    /// Most requests within one window length of each other.
    public var rolling: Int
    /// The highest sliding estimate at the time of one of the requests.
    public var sliding: Int

    /// Creates peaks from known values.
    public init(fixed: Int, sliding: Int, rolling: Int) {
        self.fixed = fixed
        self.sliding = sliding
        self.rolling = rolling
    }

    /// The peaks of requests at `times` (Unix ms, any order) under windows of `window`.
    public init(times: [Int64], window: FixedWindow) {
        let sorted = times.sorted()
        var fixed = 0
        var rolling = 0
        var currentWindow = Int64.min
        var inWindow = 0
        var oldest = 0
        var sliding = 0
        var previousWindowCount = 0
        for (index, time) in sorted.enumerated() {
            let windowIndex = window.index(of: time)
            if windowIndex == currentWindow {
                inWindow += 1
            } else {
                previousWindowCount = windowIndex == currentWindow + 1 ? inWindow : 0
                currentWindow = windowIndex
                inWindow = 1
            }
            fixed = max(fixed, inWindow)
            sliding = max(
                sliding,
                SlidingWindowEstimate.count(
                    current: inWindow, previous: previousWindowCount, window: window, index: windowIndex, now: time))
            while sorted[oldest] < time - window.lengthMilliseconds { oldest += 1 }
            rolling = max(rolling, index - oldest + 1)
        }
        self.init(fixed: fixed, sliding: sliding, rolling: rolling)
    }

    /// The peaks of `count` requests without times: all of them, both ways.
    ///
    /// Without event times the worker counts a request when it pops it, and a unit's requests are popped
    /// within moments of each other, so they are taken to share one window. A fixed-window boundary passing
    /// in the middle could split them; the scenarios give bots at least twice the threshold so that such a
    /// split still leaves one window at or over it.
    public init(untimedCount count: Int) {
        self.init(fixed: count, sliding: count, rolling: count)
    }

    /// The peak that counts under `mode`.
    public func peak(for mode: DetectionRule.Mode) -> Int {
        switch mode {
        case .fixed: fixed
        case .sliding: sliding
        case .rolling: rolling
        }
    }
}
