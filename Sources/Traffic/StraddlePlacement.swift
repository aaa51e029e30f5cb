import Detection

/// Where a straddling burst goes: around the latest fixed-window boundary that its times can sit on and
/// still be judged current by the worker.
///
/// The worker refuses event times more than one window old when it pops them (``EventClock``), and a chunk
/// is popped a little after it is sent. So a burst at `boundary ± halfSpan` is placed only when the
/// boundary lies at least `halfSpan` before the chunk (no times in the future) and its earliest time is
/// still inside the window after the chunk's last request plus ``latencyAllowance`` for the worker's
/// backlog. When the clock is at a bad point of the window, ``delay(before:span:)`` says how long to wait.
public struct StraddlePlacement: Sendable, Hashable {
    /// The fixed windows of the rule.
    public let window: FixedWindow
    /// How far either side of the boundary the burst's times spread: an eighth of the window, at most 1 s.
    public let halfSpan: Int64
    /// How late the worker may pop the burst and still see all of it: a quarter of the window, at most 10 s.
    public let latencyAllowance: Int64

    /// The placement for windows of `rule`.
    public init(rule: DetectionRule) {
        window = rule.fixedWindow
        halfSpan = min(1000, window.lengthMilliseconds / 8)
        latencyAllowance = min(10_000, window.lengthMilliseconds / 4)
    }

    /// The boundary a chunk starting at `start` (Unix ms) and lasting `span` ms can put bursts around, or nil
    /// when the clock is too close to the end of the current window for that.
    public func boundary(forChunkAt start: Int64, span: Int64) -> Int64? {
        let boundary = window.start(of: window.index(of: start - halfSpan))
        let phase = start - boundary
        return phase <= window.lengthMilliseconds - 2 * halfSpan - span - latencyAllowance ? boundary : nil
    }

    /// Milliseconds to wait from `now` until a chunk of `span` ms can hold straddling bursts; 0 when it can now.
    public func delay(before now: Int64, span: Int64) -> Int64 {
        if boundary(forChunkAt: now, span: span) != nil { return 0 }
        let next = window.start(of: window.index(of: now - halfSpan) + 1)
        return max(next + halfSpan - now, 0)
    }
}
