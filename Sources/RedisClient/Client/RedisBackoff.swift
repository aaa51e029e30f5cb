/// Exponential backoff with jitter for reconnect attempts.
///
/// Jitter spreads the reconnects of many workers after a Redis restart, so they do not arrive in one burst.
public struct RedisBackoff: Sendable, Hashable {
    /// Delay before the first retry.
    public var initial: Duration
    /// Upper bound of any delay; keep it short, since the worker resumes only after the next attempt.
    public var maximum: Duration
    /// Growth factor per failed attempt.
    public var multiplier: Double
    /// Fraction of each delay that is random: 0.5 means a delay lies between half and all of its nominal value.
    public var jitter: Double

    /// Creates a backoff; the defaults retry after 50 ms, doubling up to 1 s.
    public init(
        initial: Duration = .milliseconds(50), maximum: Duration = .seconds(1), multiplier: Double = 2, jitter: Double = 0.5
    ) {
        self.initial = initial
        self.maximum = maximum
        self.multiplier = multiplier
        self.jitter = min(max(jitter, 0), 1)
    }

    /// The delay before retry number `attempt` (1 for the first retry), with `random` in 0...1 choosing the jitter.
    public func delay(attempt: Int, random: Double) -> Duration {
        let initialSeconds = initial.seconds
        let maximumSeconds = maximum.seconds
        var nominal = initialSeconds
        var step = 1
        // Bounded: a multiplier of 1 or less, or a zero initial delay, never reaches the maximum.
        while step < min(attempt, 64) && nominal < maximumSeconds {
            nominal *= multiplier
            step += 1
        }
        // Capped at a day, so the conversion to nanoseconds below cannot overflow.
        nominal = min(nominal, maximumSeconds, 86_400)
        let factor = 1 - jitter * (1 - min(max(random, 0), 1))
        return .nanoseconds(Int64(nominal * factor * 1_000_000_000))
    }

    /// The delay before retry number `attempt`, with fresh randomness.
    public func delay(attempt: Int) -> Duration {
        delay(attempt: attempt, random: Double.random(in: 0...1))
    }
}
