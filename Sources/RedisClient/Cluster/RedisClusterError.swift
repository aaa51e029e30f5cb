/// Why a ``RedisClusterClient`` could not run a command, beyond what ``RedisError`` already covers.
///
/// Server error replies, connection failures and timeouts of the node a command went to are reported as
/// ``RedisError``, as by ``RedisServerClient``; these cases are about the cluster as a whole.
public enum RedisClusterError: Error, Sendable, CustomStringConvertible {
    /// No slot map was learnt within the command timeout: no seed or known node answered `CLUSTER SHARDS` or
    /// `CLUSTER SLOTS` yet. `lastError` says what the last refresh attempt met, when there was one.
    case topologyUnavailable(lastError: String?)
    /// No master serves the key's slot in the current slot map (part of the cluster is down or unassigned).
    /// A refresh of the map has been asked for.
    case slotNotServed(RedisHashSlot)
    /// The command was redirected (`MOVED` or `ASK`) more times than
    /// ``RedisClusterClient/maximumRedirections`` allows; `last` is the last redirection received.
    case tooManyRedirections(command: String, last: RedisRedirection)
    /// ``RedisClusterClient/run()`` was called a second time; a client runs once.
    case alreadyRunning
    /// The client was created without seed endpoints.
    case noSeeds

    /// What went wrong, in one line for logs.
    public var description: String {
        switch self {
        case .topologyUnavailable(let lastError):
            return "no Redis Cluster slot map yet" + (lastError.map { " (last error: \($0))" } ?? "")
        case .slotNotServed(let slot):
            return "no master serves hash slot \(slot.rawValue)"
        case .tooManyRedirections(let command, let last):
            return "\(command) was redirected more than \(RedisClusterClient.maximumRedirections) times; last: \(last)"
        case .alreadyRunning:
            return "RedisClusterClient.run() was called twice"
        case .noSeeds:
            return "RedisClusterClient has no seed endpoints"
        }
    }
}
