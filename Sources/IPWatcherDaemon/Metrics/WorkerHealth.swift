import RedisClient

/// Whether the worker is doing its job, as `/healthz` reports it: both Redis connections up, Redis accepting
/// the worker's writes, and the consumer loop moving.
///
/// "Moving" means the loop finished an iteration — a pop that returned entries or timed out, a batch written, a
/// failed attempt — within ``progressLimit``. An idle queue still moves the loop once per block timeout, so
/// silence for several block timeouts means the loop is wedged, not that there is nothing to do.
public struct WorkerHealth: Sendable, Hashable {
    /// The state of the connection that carries the blocking pops.
    public var popConnection: RedisConnectionState
    /// The state of the connection that carries counters and blocks.
    public var writeConnection: RedisConnectionState
    /// Time since the consumer loop last made progress; nil if it has not yet.
    public var sinceProgress: Duration?
    /// The longest silence of the loop that still counts as healthy.
    public var progressLimit: Duration
    /// The write Redis refuses now, holding up the queue; nil while writes go through.
    public var refusal: BatchWriteRefusal?

    /// Creates a reading.
    public init(
        popConnection: RedisConnectionState, writeConnection: RedisConnectionState, sinceProgress: Duration?,
        progressLimit: Duration, refusal: BatchWriteRefusal? = nil
    ) {
        self.popConnection = popConnection
        self.writeConnection = writeConnection
        self.sinceProgress = sinceProgress
        self.progressLimit = progressLimit
        self.refusal = refusal
    }

    /// The progress limit for a worker whose pops block for `blockTimeout`: three of them, at least 5 s, so
    /// one slow round trip on a busy machine does not flap the check.
    public static func progressLimit(blockTimeout: Duration) -> Duration {
        max(.seconds(5), blockTimeout * 3)
    }

    /// Nil when healthy; otherwise one line saying what is wrong, for the 503 body.
    public var problem: String? {
        if !writeConnection.isReady { return "Redis write connection not ready: \(writeConnection)" }
        if !popConnection.isReady { return "Redis pop connection not ready: \(popConnection)" }
        // A loop that retries a refused write moves, but the queue does not drain: that is not healthy.
        if let refusal { return refusal.description }
        guard let sinceProgress else { return "the consumer loop has not started" }
        if sinceProgress > progressLimit {
            return "the consumer loop made no progress for \(sinceProgress.seconds.formattedSeconds) s "
                + "(limit \(progressLimit.seconds.formattedSeconds) s)"
        }
        return nil
    }
}

extension Double {
    /// One decimal, without Foundation's formatters: `12.3`.
    fileprivate var formattedSeconds: String {
        let tenths = Int((self * 10).rounded())
        return "\(tenths / 10).\(abs(tenths % 10))"
    }
}
