/// Fixed windows numbered since the Unix epoch (so keys never collide across hours, unlike minute-of-hour).
///
/// Window `i` covers `[i * length, (i + 1) * length)` milliseconds. Arithmetic saturates instead of
/// trapping, so no time or index, however absurd, can crash the worker.
public struct FixedWindow: Hashable, Sendable {
    /// The window length in milliseconds; always at least 1000.
    public let lengthMilliseconds: Int64

    /// Windows of `lengthSeconds` seconds; values below 1 are treated as 1 so the length is never zero.
    public init(lengthSeconds: Int) {
        lengthMilliseconds = Int64(max(lengthSeconds, 1)).saturatingMultiply(1000)
    }

    /// The window containing `timeMilliseconds`.
    ///
    /// Floor division, so times before the epoch fall in negative windows rather than sharing window 0
    /// with the first window after it.
    public func index(of timeMilliseconds: Int64) -> Int64 {
        let quotient = timeMilliseconds / lengthMilliseconds
        return timeMilliseconds % lengthMilliseconds < 0 ? quotient - 1 : quotient
    }

    /// The first millisecond of window `index`.
    public func start(of index: Int64) -> Int64 {
        index.saturatingMultiply(lengthMilliseconds)
    }

    /// The first millisecond after window `index` (exclusive end; the next window's start).
    public func end(of index: Int64) -> Int64 {
        start(of: index).saturatingAdd(lengthMilliseconds)
    }

    /// When window `index`'s counter may vanish, in Unix milliseconds: one window after the window ends.
    ///
    /// An event may arrive up to one window late (``EventClock`` drops older ones), so the counter must
    /// outlive its window by that much for late events to add to the right total.
    public func counterExpiry(of index: Int64) -> Int64 {
        end(of: index).saturatingAdd(lengthMilliseconds)
    }
}
