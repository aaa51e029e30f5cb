/// How an event's time relates to now.
public enum EventTiming: Hashable, Sendable {
    /// Count the event, at this time in Unix milliseconds (the event's own time, or now if it had none).
    case current(Int64)
    /// Older than one window: every window it could count in has already been judged, so drop it.
    case stale
    /// Further ahead than clock skew explains: a forged or broken timestamp, so refuse it.
    case future
}
