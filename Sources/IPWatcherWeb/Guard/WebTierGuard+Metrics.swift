import CoreMetrics

extension WebTierGuard {
    /// The guard's instruments, named as the worker's are (`ipwatcher_web_…`); they go to whatever metrics backend
    /// the app bootstrapped (swift-metrics), and nowhere when it bootstrapped none.
    private struct Instruments {
        let requests: [String: Counter] = Dictionary(
            uniqueKeysWithValues: ["served", "refused", "excluded"].map { decision in
                (decision, Counter(label: "ipwatcher_web_requests_total", dimensions: [("decision", decision)]))
            })
        let mirrorStale = Gauge(label: "ipwatcher_web_mirror_stale")
        let mirrorUnits = Gauge(label: "ipwatcher_web_mirror_units")
        let mirrorRanges = Gauge(label: "ipwatcher_web_mirror_ranges")
        let mirrorLoads = Counter(label: "ipwatcher_web_mirror_loads_total")
        let mirrorEvents = Counter(label: "ipwatcher_web_mirror_events_applied_total")
        let mirrorRepaired = Counter(label: "ipwatcher_web_mirror_repaired_units_total")
        let recorderPushed = Counter(label: "ipwatcher_web_recorder_pushed_total")
        let recorderDropped = Counter(label: "ipwatcher_web_recorder_dropped_total")
        let recorderFailedFlushes = Counter(label: "ipwatcher_web_recorder_failed_flushes_total")
        let recorderBuffered = Gauge(label: "ipwatcher_web_recorder_buffered")
    }

    /// Copies the statistics into the instruments once a second until cancelled; counters advance by what changed
    /// since the last copy, so the request path only touches atomics.
    func reportMetrics() async {
        let instruments = Instruments()
        var last = (statistics, mirror.status, recorder.statistics)
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            let now = (statistics, mirror.status, recorder.statistics)
            instruments.requests["served"]?.increment(by: now.0.served - last.0.served)
            instruments.requests["refused"]?.increment(by: now.0.refused - last.0.refused)
            instruments.requests["excluded"]?.increment(by: now.0.excluded - last.0.excluded)
            instruments.mirrorStale.record(now.1.isStale ? 1 : 0)
            instruments.mirrorUnits.record(now.1.units)
            instruments.mirrorRanges.record(now.1.ranges)
            instruments.mirrorLoads.increment(by: now.1.loads - last.1.loads)
            instruments.mirrorEvents.increment(by: now.1.eventsApplied - last.1.eventsApplied)
            instruments.mirrorRepaired.increment(by: now.1.repairedUnits - last.1.repairedUnits)
            instruments.recorderPushed.increment(by: now.2.pushed - last.2.pushed)
            instruments.recorderDropped.increment(by: now.2.dropped - last.2.dropped)
            instruments.recorderFailedFlushes.increment(by: now.2.failedFlushes - last.2.failedFlushes)
            instruments.recorderBuffered.record(now.2.buffered)
            last = now
        }
    }
}
