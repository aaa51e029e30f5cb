import NIOCore

/// The deadline and size budget of one metrics connection, shared by its ``MetricsRequestBytesHandler`` (raw
/// bytes, before the HTTP decoder) and its ``MetricsRequestPhaseHandler`` (decoded requests, written responses).
///
/// Without them a client could hold a connection forever by sending nothing, or a request a byte at a time,
/// and NIO's decoder would buffer up to 80 KiB of headers for each. A connection is always in one of three
/// phases, and each but the middle one has a deadline that closes it:
/// - awaiting a request: from the connection, or from the first byte after a keep-alive pause, the whole
///   request must arrive within ``MetricsConnectionLimits/requestTimeout`` and ``MetricsConnectionLimits/maxRequestBytes``;
/// - answering: the request is complete and the server writes the response, which takes microseconds;
/// - idle: after a keep-alive response, silence for ``MetricsConnectionLimits/idleTimeout`` closes it.
///
/// It lives on the connection's event loop and is touched only there.
final class MetricsConnectionGuard {
    /// Where the connection is in its request–response cycle.
    enum Phase {
        case awaitingRequest
        case answering
        case idle
    }

    private let channel: any Channel
    private let limits: MetricsConnectionLimits
    private let registry: MetricsConnectionRegistry
    private let id: UInt64
    private(set) var phase = Phase.awaitingRequest
    /// Bytes received since the last complete request.
    private var requestBytes = 0
    /// Whether the request being received has its head decoded yet: 431 before, 413 after.
    private(set) var headArrived = false
    private var deadline: Scheduled<Void>?

    /// Creates the guard of connection `id` of `registry` and starts the deadline for its first request.
    init(channel: any Channel, limits: MetricsConnectionLimits, registry: MetricsConnectionRegistry, id: UInt64) {
        self.channel = channel
        self.limits = limits
        self.registry = registry
        self.id = id
        arm(limits.requestTimeout)
    }

    /// Counts `count` received bytes; false once the request in progress exceeds its size limit.
    func bytesArrived(_ count: Int) -> Bool {
        requestBytes += count
        if phase == .idle {
            phase = .awaitingRequest
            arm(limits.requestTimeout)
        }
        return requestBytes <= limits.maxRequestBytes
    }

    /// The decoder produced the head of the request in progress.
    func requestHeadArrived() {
        headArrived = true
    }

    /// The request in progress is complete: no deadline while the server answers it.
    func requestEnded() {
        phase = .answering
        requestBytes = 0
        headArrived = false
        deadline?.cancel()
        deadline = nil
        registry.setAnswering(id, true)
    }

    /// The response is written; a pipelined request already under way gets the request deadline, else the
    /// idle one starts.
    func responseEnded() {
        registry.setAnswering(id, false)
        if requestBytes > 0 {
            phase = .awaitingRequest
            arm(limits.requestTimeout)
        } else {
            phase = .idle
            arm(limits.idleTimeout)
        }
    }

    /// The connection closed: drops the pending deadline, which would otherwise keep the channel alive.
    func closed() {
        deadline?.cancel()
        deadline = nil
    }

    private func arm(_ timeout: Duration) {
        deadline?.cancel()
        let channel = self.channel
        deadline = channel.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
            channel.close(promise: nil)
        }
    }
}
