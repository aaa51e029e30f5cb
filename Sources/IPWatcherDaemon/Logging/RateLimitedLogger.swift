import Logging
import Synchronization

/// Logs at most a few messages per interval and counts the rest, so a flood of bad entries cannot flood the journal.
public final class RateLimitedLogger: Sendable {
    private struct State {
        var windowStart: ContinuousClock.Instant
        var logged = 0
        var suppressed = 0
    }

    private let logger: Logger
    private let limit: Int
    private let interval: Duration
    private let state: Mutex<State>

    /// Allows `limit` messages per `interval`; the next message after a suppressed stretch says how many were dropped.
    public init(logger: Logger, limit: Int = 5, interval: Duration = .seconds(10)) {
        self.logger = logger
        self.limit = limit
        self.interval = interval
        self.state = Mutex(State(windowStart: .now))
    }

    /// Logs `message` unless this interval's budget is spent.
    public func log(level: Logger.Level, _ message: @autoclosure () -> Logger.Message, metadata: Logger.Metadata = [:]) {
        let now = ContinuousClock.now
        let (allowed, dropped): (Bool, Int) = state.withLock { state in
            if now - state.windowStart >= interval {
                let dropped = state.suppressed
                state = State(windowStart: now)
                state.logged = 1
                return (true, dropped)
            }
            if state.logged < limit {
                state.logged += 1
                return (true, 0)
            }
            state.suppressed += 1
            return (false, 0)
        }
        guard allowed else { return }
        var metadata = metadata
        if dropped > 0 { metadata["suppressed_since_last"] = "\(dropped)" }
        logger.log(level: level, message(), metadata: metadata)
    }
}
