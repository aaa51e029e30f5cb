/// Why a local Redis Cluster could not be started, kept healthy or driven with redis-cli.
///
/// Like ``LocalRedisError``, every case carries a message meant to be printed as is; failures that involve
/// redis-cli include the command line and everything it printed, because that is where Redis explains itself.
public enum LocalRedisClusterError: Error, Sendable, CustomStringConvertible {
    /// The arguments cannot describe a cluster (no masters, negative replicas, a node timeout under 1 ms), or a node
    /// was given that does not belong to this cluster, or the cluster was already stopped.
    case invalidArgument(String)
    /// No `redis-cli` executable was found; the payload says where it was searched. Debian ships it in redis-tools.
    case redisCLINotFound(String)
    /// A node's redis-server could not be started or restarted; the underlying error ends with the tail of its log.
    case nodeFailed(LocalRedisError)
    /// redis-cli could not be run, exited with a non-zero status, timed out or was cancelled.
    case redisCLIFailed(command: String, reason: String, output: String)
    /// The cluster did not become healthy before the deadline; the payload names the last unmet condition and, when
    /// the cluster was being created, includes redis-cli's output.
    case notHealthy(String)

    /// The message, with an install hint where one helps, ready to print to a test log or terminal.
    public var description: String {
        switch self {
        case .invalidArgument(let message):
            return "invalid local Redis Cluster request: \(message)"
        case .redisCLINotFound(let message):
            return "\(message). Install it with `apt-get install redis-tools` (Debian/Ubuntu; scripts/setup does this) or `brew install redis` (macOS)."
        case .nodeFailed(let error):
            return "a Redis Cluster node failed: \(error)"
        case .redisCLIFailed(let command, let reason, let output):
            let shownOutput = output.isEmpty ? "(no output)" : output
            return "`\(command)` \(reason). Its output:\n\(shownOutput)"
        case .notHealthy(let message):
            return "the local Redis Cluster did not become healthy: \(message)"
        }
    }
}
