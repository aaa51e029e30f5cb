/// What one metrics endpoint lets its clients hold: connections, time to send a request, idle keep-alive, and
/// request size.
///
/// The endpoint answers two tiny `GET`s, so every bound is far above what Prometheus or a health check needs
/// and far below what would let a client hold the worker's memory or descriptors: at the defaults, at most
/// 64 connections (256 for a fraction of a second during a burst) × 8 KiB of unanswered request bytes.
public struct MetricsConnectionLimits: Sendable, Hashable {
    /// Most connections open at once; a new one past it closes the oldest connection not being answered.
    public var maxConnections: Int
    /// Time a request (head and any body) has to arrive complete, from the connection or from its first byte
    /// after a keep-alive pause.
    public var requestTimeout: Duration
    /// Time a keep-alive connection may sit silent after a response before it is closed.
    public var idleTimeout: Duration
    /// Most bytes one request may take, head and body; more is answered 431 (or 413 after the head) and closed.
    public var maxRequestBytes: Int
    /// How long a new connection is safe from being closed to make room for newer ones: time for its request,
    /// sent at once, to be read even while the server accepts a burst of others.
    public var admissionGrace: Duration

    /// The product's limits: `metrics.max_connections` connections, 5 s per request, 30 s idle, 8 KiB, 0.25 s
    /// of grace.
    public static let productDefault = MetricsConnectionLimits(
        maxConnections: 64, requestTimeout: .seconds(5), idleTimeout: .seconds(30), maxRequestBytes: 8 * 1024,
        admissionGrace: .milliseconds(250))

    /// Creates the limits.
    public init(
        maxConnections: Int, requestTimeout: Duration, idleTimeout: Duration, maxRequestBytes: Int,
        admissionGrace: Duration
    ) {
        self.maxConnections = maxConnections
        self.requestTimeout = requestTimeout
        self.idleTimeout = idleTimeout
        self.maxRequestBytes = maxRequestBytes
        self.admissionGrace = admissionGrace
    }
}
