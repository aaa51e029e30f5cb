/// Where a running feed is, passed to the progress callback about five times a second and once at the end.
public struct FeedProgress: Sendable, Hashable {
    /// What the feed is doing.
    public enum Stage: Sendable, Hashable {
        /// Waiting this long before starting, so that straddling bursts can sit on a window boundary.
        case waitingForWindowBoundary(Duration)
        /// Sending.
        case sending
        /// Done: every pipeline has its replies.
        case finished
        /// Waiting for the worker to empty the queue; this many entries are left.
        case draining(remaining: Int)
    }

    /// What the feed is doing.
    public var stage: Stage
    /// Requests handed to Redis so far.
    public var sent: Int
    /// Requests the feed will send, when known.
    public var planned: Int?
    /// Time since sending started.
    public var elapsed: Duration
    /// Requests per second since the previous report.
    public var recentRate: Double
    /// Requests per second since sending started.
    public var averageRate: Double

    /// Creates a progress report.
    public init(stage: Stage, sent: Int, planned: Int?, elapsed: Duration, recentRate: Double, averageRate: Double) {
        self.stage = stage
        self.sent = sent
        self.planned = planned
        self.elapsed = elapsed
        self.recentRate = recentRate
        self.averageRate = averageRate
    }

    /// One line for a terminal: `sent 1,234,567  rate 1.02M/s  elapsed 1.2s`.
    ///
    /// The rate is the recent one while sending, the average once finished.
    public var line: String {
        switch stage {
        case .waitingForWindowBoundary(let delay):
            return "waiting \(NumberText.seconds(delay)) for a window boundary to place straddling bursts on"
        case .draining(let remaining):
            return "waiting for the worker: \(NumberText.grouped(remaining)) entries left in the queue  elapsed \(NumberText.seconds(elapsed))"
        case .sending, .finished:
            let rate = stage == .finished ? averageRate : recentRate
            let of = planned.map { " of " + NumberText.grouped($0) } ?? ""
            return "sent \(NumberText.grouped(sent))\(of)  rate \(NumberText.rate(rate))  elapsed \(NumberText.seconds(elapsed))"
        }
    }
}
