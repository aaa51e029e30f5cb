/// What a ``RedisServerClient`` is doing about its connection, for status lines, health checks and logs.
public enum RedisConnectionState: Sendable, Hashable, CustomStringConvertible {
    /// `run()` has not started.
    case idle
    /// Opening a connection; `attempt` counts consecutive tries, 1 for the first.
    case connecting(attempt: Int)
    /// Connected and handshaken; commands go straight through.
    case ready
    /// The last attempt failed; the next one starts after `delay`.
    case backingOff(attempt: Int, delay: Duration, lastError: String)
    /// `run()` ended; commands fail with ``RedisError/shutdown``.
    case shutdown

    /// Whether commands can be sent now.
    public var isReady: Bool { self == .ready }

    public var description: String {
        switch self {
        case .idle: return "idle"
        case .connecting(let attempt): return attempt == 1 ? "connecting" : "connecting (attempt \(attempt))"
        case .ready: return "ready"
        case .backingOff(let attempt, let delay, let lastError):
            return "reconnecting in \(delay.seconds.formatted2) s after \(attempt) failed attempt(s): \(lastError)"
        case .shutdown: return "shut down"
        }
    }
}

extension Double {
    /// Two decimals without Foundation's formatters.
    var formatted2: String {
        let hundredths = Int((self * 100).rounded())
        let fraction = abs(hundredths % 100)
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
