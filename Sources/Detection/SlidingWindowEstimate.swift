/// Cloudflare's sliding-window estimate of a rolling count, from two fixed-window counters.
///
/// A window of one length ending at `now` covers the end of the previous fixed window and the start of the
/// current one. Counting exactly needs every event's time (rolling mode); this assumes the previous window's
/// requests were spread evenly over it and takes the share of them the window still covers. A burst at the end of
/// the previous window is then counted at its full weight right after the boundary, which fixed windows miss; the
/// price is an estimate off by at most the previous window's count, in either direction, when its requests
/// were bunched.
public enum SlidingWindowEstimate {
    /// The part of a previous window's `previous` requests a window ending at `now` still covers, when `now` is
    /// in window `index` of `window`: `previous × (end(index) − now) / length`, rounded down.
    ///
    /// `now` is clamped into window `index`: a late event counted in an earlier window than the clock's is
    /// judged at that window's last millisecond (almost nothing of the window before it is still covered).
    public static func weightedPrevious(_ previous: Int, window: FixedWindow, index: Int64, now: Int64) -> Int {
        guard previous > 0 else { return 0 }
        let end = window.end(of: index)
        let clamped = min(max(now, window.start(of: index)), end - 1)
        let covered = end - clamped
        let product = Int64(previous).multipliedFullWidth(by: covered)
        return Int(window.lengthMilliseconds.dividingFullWidth(product).quotient)
    }

    /// A sliding rule's reading of a unit with `current` requests in window `index`, `previous` in the window
    /// before and `next` in the window after: the worker's and the replay's one definition.
    ///
    /// The estimate in the unit's own window weighs the window before at `latest`, the unit's latest request
    /// there. When `next` is above 0 the requests came late, into a window that had ended; they also weigh in the
    /// window after, judged at `now`, and the reading is the larger of the two estimates.
    public static func reading(
        current: Int, previous: Int, next: Int, window: FixedWindow, index: Int64, latest: Int64, now: Int64
    ) -> Int {
        let own = count(current: current, previous: previous, window: window, index: index, now: latest)
        guard next > 0 else { return own }
        return max(own, count(current: next, previous: current, window: window, index: index + 1, now: now))
    }

    /// The estimated count at `now` of a unit with `current` requests in window `index` and `previous` in the
    /// window before it.
    public static func count(current: Int, previous: Int, window: FixedWindow, index: Int64, now: Int64) -> Int {
        current.addingReportingOverflow(weightedPrevious(previous, window: window, index: index, now: now)).partialValue
    }
}
