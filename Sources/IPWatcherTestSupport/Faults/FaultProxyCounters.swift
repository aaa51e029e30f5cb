/// What a ``FaultProxy`` has forwarded and done so far.
public struct FaultProxyCounters: Sendable, Hashable {
    /// Bytes delivered from clients to the upstream.
    public var bytesUpstream = 0
    /// Bytes delivered from the upstream to clients.
    public var bytesDownstream = 0
    /// Client connections accepted.
    public var connectionsAccepted = 0
    /// Client connections not yet closed.
    public var connectionsOpen = 0
    /// Connections to the upstream not yet closed; one outlives its client's while a partition holds what the
    /// client sent before it closed.
    public var upstreamConnectionsOpen = 0
    /// Client connections reset by the reset toxic.
    public var resets = 0
    /// Client connections closed by the cut toxic.
    public var cuts = 0

    /// All zero.
    public init() {}
}
