/// A `+switch-master` message a sentinel publishes when a failover has ended: `<name> <old ip> <old port> <new ip>
/// <new port>`.
public struct SentinelSwitchMessage: Sendable, Hashable {
    /// The master's name in the sentinels' configuration.
    public var masterName: String
    /// Where the master was.
    public var oldAddress: RedisEndpoint.Address
    /// Where the master is now.
    public var newAddress: RedisEndpoint.Address

    /// Parses the message's payload; nil when it does not have the five fields with valid ports.
    public init?(payload: String) {
        let fields = payload.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count == 5, let oldPort = Int(fields[2]), let newPort = Int(fields[4]),
            (1...65535).contains(oldPort), (1...65535).contains(newPort)
        else { return nil }
        masterName = String(fields[0])
        oldAddress = .tcp(host: String(fields[1]), port: oldPort)
        newAddress = .tcp(host: String(fields[3]), port: newPort)
    }
}
