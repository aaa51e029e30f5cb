/// Decides which failed connect attempts of one connection deserve a log line, so an outage is reported in a
/// few lines instead of one per attempt.
///
/// It reports the first failure, a change of cause while down, the return (with how many attempts failed and
/// for how long), and while nothing changes a summary at most every ``summaryInterval``. It holds no clock and
/// does no I/O: callers pass the time of each attempt, which is what lets tests drive it through an hour-long
/// outage in microseconds.
public struct ConnectionFailureReporter: Sendable {
    /// What to log about an attempt; nil from the reporter means nothing.
    public enum Report: Sendable, Hashable {
        /// The first failure after being up (or at start).
        case firstFailure(cause: String)
        /// Still down, for a different reason than the last one reported.
        case causeChanged(cause: String, previous: String, attempts: Int, downFor: Duration)
        /// Still down for the same reason, ``ConnectionFailureReporter/summaryInterval`` after the last report.
        case stillDown(cause: String, attempts: Int, downFor: Duration)
        /// Connected again after `attempts` failed attempts over `downFor`.
        case reconnected(attempts: Int, downFor: Duration)
    }

    /// The least time between two reports of an unchanged outage.
    public let summaryInterval: Duration
    private var downSince: ContinuousClock.Instant?
    private var lastReport: ContinuousClock.Instant?
    private var failures = 0
    private var cause: String?

    /// Creates a reporter for a connection that has not failed yet.
    public init(summaryInterval: Duration = .seconds(30)) {
        self.summaryInterval = summaryInterval
    }

    /// Whether the last attempt failed.
    public var isDown: Bool { downSince != nil }

    /// Records an attempt that failed at `now` for `cause` (``RedisConnectFailure/cause(of:)``).
    public mutating func failed(_ cause: String, at now: ContinuousClock.Instant) -> Report? {
        failures += 1
        guard let downSince, let previous = self.cause, let lastReport else {
            self.downSince = now
            self.lastReport = now
            self.cause = cause
            return .firstFailure(cause: cause)
        }
        if cause != previous {
            self.cause = cause
            self.lastReport = now
            return .causeChanged(cause: cause, previous: previous, attempts: failures, downFor: now - downSince)
        }
        guard now - lastReport >= summaryInterval else { return nil }
        self.lastReport = now
        return .stillDown(cause: cause, attempts: failures, downFor: now - downSince)
    }

    /// Records a successful connect at `now`; a report only when earlier attempts had failed.
    public mutating func connected(at now: ContinuousClock.Instant) -> Report? {
        defer {
            downSince = nil
            lastReport = nil
            failures = 0
            cause = nil
        }
        guard let downSince else { return nil }
        return .reconnected(attempts: failures, downFor: now - downSince)
    }
}
