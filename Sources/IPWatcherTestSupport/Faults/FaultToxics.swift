/// The faults a ``FaultProxy`` applies right now, to every connection, open or new.
///
/// Switched by the proxy's methods; a pipe reads them for every chunk it forwards, so a change applies to the
/// next byte, not only to new connections.
public struct FaultToxics: Sendable, Hashable {
    /// Delay added to every chunk, each way: a uniform draw from `mean - jitter ... mean + jitter` (at least 0).
    public var latency: (mean: Duration, jitter: Duration)? {
        get { latencyMean.map { ($0, latencyJitter) } }
        set {
            latencyMean = newValue?.mean
            latencyJitter = newValue?.jitter ?? .zero
        }
    }
    private var latencyMean: Duration?
    private var latencyJitter: Duration = .zero

    /// Bytes per second each way, or nil for no cap.
    public var bytesPerSecond: Int?

    /// Whether nothing is forwarded: connections stay open and bytes are held until the partition heals.
    public var partitioned = false

    /// After this many more bytes from the upstream (on each connection, counted from when it was switched on), the
    /// connection to the client is reset (RST) and the upstream connection closed.
    public var resetAfterDownstreamBytes: Int?

    /// After this many more bytes from the upstream (on each connection, counted from when it was switched on),
    /// both connections are closed normally (FIN): the client sees a reply cut short.
    public var cutAfterDownstreamBytes: Int?

    /// Bumped by every change to the reset or cut toxics, so a pipe starts counting their bytes afresh.
    var generation = 0

    /// No faults: every byte forwarded at once.
    public init() {}
}
