import Synchronization

// What DaemonMetricsFloodTests observes while it floods the endpoint. This file declares no suite.

/// The `/healthz` probes and the worker's memory and descriptors sampled during a connection flood.
final class FloodRecord: Sendable {
    private struct State {
        var statuses: [Int] = []
        var latencies: [Duration] = []
        var peakRSS = 0
        var peakDescriptors = 0
        var opened = false
    }

    private let state = Mutex(State())

    /// The status of every probe, in order.
    var statuses: [Int] { state.withLock { $0.statuses } }
    /// The probe latency that `percentile` percent of probes did not exceed.
    func latency(percentile: Int) -> Duration {
        state.withLock { state in
            let sorted = state.latencies.sorted()
            guard !sorted.isEmpty else { return .zero }
            return sorted[min(sorted.count - 1, sorted.count * percentile / 100)]
        }
    }

    /// The highest `VmRSS` sampled, in kB.
    var peakRSS: Int { state.withLock { $0.peakRSS } }
    /// The most descriptors the worker had open at a sample.
    var peakDescriptors: Int { state.withLock { $0.peakDescriptors } }
    /// Whether every flood connection has been opened.
    var isOpened: Bool { state.withLock { $0.opened } }

    /// Records one `/healthz` probe.
    func probe(status: Int, latency: Duration) {
        state.withLock {
            $0.statuses.append(status)
            $0.latencies.append(latency)
        }
    }

    /// Records one sample of the worker's resident memory (kB) and open descriptors.
    func sample(rss: Int, descriptors: Int) {
        state.withLock {
            $0.peakRSS = max($0.peakRSS, rss)
            $0.peakDescriptors = max($0.peakDescriptors, descriptors)
        }
    }

    /// Notes that the flood is fully open.
    func markOpened() {
        state.withLock { $0.opened = true }
    }

    /// The figures for the log and for failure messages.
    func summary(idleRSS: Int, idleDescriptors: Int) -> String {
        let (median, p95) = (latency(percentile: 50), latency(percentile: 95))
        return state.withLock { state in
            "\(state.statuses.count) /healthz probes, median \(median), p95 \(p95), max \(state.latencies.max() ?? .zero); "
                + "RSS idle \(idleRSS) kB, peak \(state.peakRSS) kB; "
                + "descriptors idle \(idleDescriptors), peak \(state.peakDescriptors)"
        }
    }
}
