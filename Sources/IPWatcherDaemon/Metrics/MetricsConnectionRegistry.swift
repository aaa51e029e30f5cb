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
///
/// Except in its first ``MetricsConnectionLimits/admissionGrace``: the server accepts a burst of connections
/// before it reads any of them, so a scrape accepted just ahead of a burst of 64 flood connections would
/// otherwise be closed before its request, already sent, was read. Such young connections are admitted over the
/// cap, up to four times it; past that the oldest is closed whatever its age, which bounds the descriptors
/// and buffered bytes a flood can hold.
final class MetricsConnectionRegistry: Sendable {
    private struct Entry {
        let channel: any Channel
        let admitted: ContinuousClock.Instant
        var answering = false
    }

    private struct State {
        var entries: [UInt64: Entry] = [:]
        var nextID: UInt64 = 0
    }

    /// The cap.
    let maxConnections: Int
    /// The most connections admitted while every candidate for closing is in its grace period.
    let burstCeiling: Int
    private let admissionGrace: Duration
    private let state = Mutex(State())

    /// Creates an empty registry enforcing ``MetricsConnectionLimits/maxConnections`` and
    /// ``MetricsConnectionLimits/admissionGrace``.
    init(limits: MetricsConnectionLimits) {
        maxConnections = max(1, limits.maxConnections)
        burstCeiling = 4 * maxConnections
        admissionGrace = limits.admissionGrace
    }

    /// The number of connections admitted and not yet removed.
    var count: Int { state.withLock { $0.entries.count } }

    /// Admits `channel` under a new ID and, at the cap, picks the connections to make room; the caller closes
    /// them.
    ///
    /// Usually one is picked; after a burst admitted over the cap, as many as bring the count back to it. None
    /// is picked while every open connection is being answered, or while the oldest waiting one is in its
    /// grace period and fewer than ``burstCeiling`` are open: answers take microseconds and grace periods a
    /// fraction of a second, so the count is over the cap no longer than that.
    func admit(
        _ channel: any Channel, now: ContinuousClock.Instant = .now
    ) -> (id: UInt64, evicted: [any Channel]) {
        state.withLock { state in
            var evicted: [any Channel] = []
            while state.entries.count >= maxConnections {
                // IDs grow with every admission, so the smallest is the oldest; a linear scan suits a cap of tens.
                var oldest: UInt64?
                for (id, entry) in state.entries where !entry.answering && id < (oldest ?? .max) { oldest = id }
                guard let oldest, let entry = state.entries[oldest],
                    now - entry.admitted >= admissionGrace || state.entries.count >= burstCeiling
                else { break }
                state.entries[oldest] = nil
                evicted.append(entry.channel)
            }
            let id = state.nextID
            state.nextID += 1
            state.entries[id] = Entry(channel: channel, admitted: now)
            return (id, evicted)
        }
    }

    /// Marks connection `id` as being answered (a complete request arrived) or not (its response was written).
    func setAnswering(_ id: UInt64, _ answering: Bool) {
        state.withLock { $0.entries[id]?.answering = answering }
    }

    /// Forgets every connection and returns them, for closing at shutdown.
    func removeAll() -> [any Channel] {
        state.withLock { state in
            defer { state.entries.removeAll() }
            return state.entries.values.map(\.channel)
        }
    }

    /// Forgets connection `id` once it closed.
    func remove(_ id: UInt64) {
        _ = state.withLock { $0.entries.removeValue(forKey: id) }
    }
}
