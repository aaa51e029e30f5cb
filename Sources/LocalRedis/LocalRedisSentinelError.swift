/// Why a local Sentinel group could not be started, kept healthy or asked for its master.
///
/// Like ``LocalRedisClusterError``, every case carries a message meant to be printed as is; a sentinel's failure
/// ends with the tail of its log, a health failure names the last unmet condition and what the sentinels said.
public enum LocalRedisSentinelError: Error, Sendable, CustomStringConvertible {
    /// The options cannot describe a group (see ``LocalRedisSentinelOptions``).
    case invalidArgument(String)
    /// A data node's redis-server could not be started, or could not be made a replica.
    case nodeFailed(LocalRedisError)
    /// A sentinel could not be started or restarted, or neither redis-sentinel nor redis-server was found.
    case sentinelFailed(String)
    /// The group did not become healthy before the deadline, or the wait was cancelled; the payload names the last
    /// unmet condition and shows one sentinel's view of the master.
    case notHealthy(String)
    /// The sentinels do not name one master that reports itself as master (during a failover, or with every
    /// sentinel down); the payload says what each said.
    case noAgreedMaster(String)

    /// The message, with an install hint where one helps, ready to print to a test log or terminal.
    public var description: String {
        switch self {
        case .invalidArgument(let message):
            return "invalid local Sentinel group request: \(message)"
        case .nodeFailed(let error):
            return "a data node of the Sentinel group failed: \(error)"
        case .sentinelFailed(let message):
            return "a Redis Sentinel failed: \(message)"
        case .notHealthy(let message):
            return "the local Sentinel group did not become healthy: \(message)"
        case .noAgreedMaster(let message):
            return "the sentinels do not agree on a master: \(message)"
        }
    }
}
