import Synchronization

/// The port a ``MetricsServer`` is listening on, once it is; shared with whoever needs to reach it.
///
/// With `metrics.listen` on port 0 the system picks the port at bind time, so in-process tests (and anything
/// else starting a worker) learn it here rather than from the log.
public final class ListeningPort: Sendable {
    private let port = Mutex<Int?>(nil)

    /// Creates a holder with no port yet.
    public init() {}

    /// The bound port; nil until the server listens, and again after it closed.
    public var value: Int? { port.withLock { $0 } }

    /// Records the port the server listens on, or nil once it closed.
    func set(_ value: Int?) {
        port.withLock { $0 = value }
    }
}
