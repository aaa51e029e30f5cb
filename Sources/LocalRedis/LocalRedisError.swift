/// Why a private redis-server could not be provided.
///
/// Every case carries a human-readable explanation meant to be printed as is: a failing test or CLI run
/// should tell the reader what to do next without digging through temporary directories.
public enum LocalRedisError: Error, Sendable, CustomStringConvertible {
    /// No `redis-server` executable was found; the payload says where it was searched.
    case executableNotFound(String)
    /// The server could not be launched or exited during startup; the payload ends with the tail of its log.
    case launchFailed(String)
    /// The server did not accept connections within 10 s, or startup was cancelled; the payload ends with the tail of its log.
    case notReady(String)

    /// The message with an install hint for a missing executable, ready to print to a test log or terminal.
    public var description: String {
        switch self {
        case .executableNotFound(let message):
            return "\(message). Install Redis with `apt-get install redis-server` (Debian/Ubuntu) or `brew install redis` (macOS)."
        case .launchFailed(let message):
            return "redis-server failed to start: \(message)"
        case .notReady(let message):
            return "redis-server did not become ready: \(message)"
        }
    }
}
