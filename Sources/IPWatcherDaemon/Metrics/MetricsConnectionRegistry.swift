import NIOCore
import Synchronization

/// The open connections of one ``MetricsServer``, in the order they were accepted, and which of them are being
/// answered; enforces ``MetricsConnectionLimits/maxConnections``.
///
/// At the cap a new connection is admitted by closing the oldest one that is not being answered — an idle
/// keep-alive or a request still arriving — rather than by refusing the new one. Refusing would let anyone who
/// holds the cap's worth of connections keep `/healthz` and Prometheus out for as long as they like; closing
/// the oldest means a flood only ever costs a well-behaved client its connection, never its answer, because a
/// scrape sends its request at once and is answered in well under a millisecond.
final class MetricsConnectionRegistry: Sendable {
    private struct Entry {
        let channel: any Channel
        var answering = false
    }

    private struct State {
        var entries: [UInt64: Entry] = [:]
        var nextID: UInt64 = 0
    }

    let maxConnections: Int
    private let state = Mutex(State())

    /// Creates an empty registry that admits at most `maxConnections` connections.
    init(maxConnections: Int) {
        self.maxConnections = max(1, maxConnections)
    }

    /// The number of connections admitted and not yet removed.
    var count: Int { state.withLock { $0.entries.count } }

    /// Admits `channel` under a new ID and, at the cap, picks the connection to make room; the caller closes it.
    ///
    /// When every open connection is being answered none is picked and the new one is admitted over the cap:
    /// answers take microseconds, so this lasts no longer, and cutting a response short would help nobody.
    func admit(_ channel: any Channel) -> (id: UInt64, evicted: (any Channel)?) {
        state.withLock { state in
            var evicted: (any Channel)?
            if state.entries.count >= maxConnections {
                // IDs grow with every admission, so the smallest is the oldest; a linear scan suits a cap of tens.
                var oldest: UInt64?
                for (id, entry) in state.entries where !entry.answering && id < (oldest ?? .max) { oldest = id }
                if let oldest { evicted = state.entries.removeValue(forKey: oldest)?.channel }
            }
            let id = state.nextID
            state.nextID += 1
            state.entries[id] = Entry(channel: channel)
            return (id, evicted)
        }
    }

    /// Marks connection `id` as being answered (a complete request arrived) or not (its response was written).
    func setAnswering(_ id: UInt64, _ answering: Bool) {
        state.withLock { $0.entries[id]?.answering = answering }
    }

    /// Forgets connection `id` once it closed.
    func remove(_ id: UInt64) {
        _ = state.withLock { $0.entries.removeValue(forKey: id) }
    }
}
