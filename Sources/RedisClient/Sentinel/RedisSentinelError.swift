/// Why the sentinels could not lead a client to its master, with what an operator needs to fix it.
public enum RedisSentinelError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No sentinel gave the master's address; `failures` says, per sentinel, what happened instead.
    case noSentinelAnswered(master: String, failures: [String])
    /// The server the sentinels named does not report the master role (`ROLE`): a failover is under way, or the
    /// sentinels' view is out of date. The client asks again after its backoff.
    case notMaster(master: String, address: String, role: String)

    public var description: String {
        switch self {
        case .noSentinelAnswered(let master, let failures):
            return "no sentinel gave the address of master \"\(master)\": " + failures.joined(separator: "; ")
        case .notMaster(let master, let address, let role):
            return "the sentinels name \(address) as master \"\(master)\", but it reports the role \(role)"
                + " (a failover is under way or the sentinels' view is stale)"
        }
    }
}
