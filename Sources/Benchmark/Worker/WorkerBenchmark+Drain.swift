import Detection
import Traffic

extension WorkerBenchmark {
    /// Pre-fills the queue with ``WorkerBenchPlan/entries`` of ``WorkerBenchPlan/traffic``, behind the sentinel's
    /// requests (see ``WorkerBenchPlan/sentinelAddress``), then starts a worker in `mode` and times it from its
    /// first pop until it has written the last batch; then checks that it processed every entry and measures
    /// what it left in Redis. A fixed drain that is `bucketed` runs the worker with `counters: buckets`, as many
    /// hashes as ``WorkerBenchPlan/buckets`` says or else as ``CounterLayout/bucketCount(forUnits:)`` advises for the
    /// traffic's units (the ground truth knows them before the worker starts); rolling drains ignore it.
    func drain(
        _ mode: DetectionRule.Mode, bucketed: Bool = false, control: BenchRedisControl
    ) async throws -> WorkerBenchReport.Drain {
        let bucketed = bucketed && mode == .fixed
        let run = mode == .fixed ? "\(mode.rawValue) (\(bucketed ? "buckets" : "keys")) drain" : "\(mode.rawValue) drain"
        let rule = plan.rule(mode)
        let entries = plan.entries
        let sentinel = plan.sentinelEntries
        let total = entries + sentinel
        try await control.reset()
        let baselineMemory = try await control.usedMemory()

        note("\(run): pre-filling \(NumberText.grouped(entries)) entries of the \(plan.traffic) scenario…")
        _ = try await control.connection.send(
            "LPUSH", plan.queueKey, Array(repeating: WorkerBenchPlan.sentinelAddress, count: sentinel)
        ).throwingServerError()
        let feed = FeedConfiguration(
            scenario: plan.traffic, rule: rule, seed: plan.seed, limit: .count(entries), queueKey: plan.queueKey)
        let summary = try await TrafficFeeder(
            endpoint: endpoint, configuration: feed, connectionConfiguration: feedConnection, logger: logger
        ).run()
        let queued = try await control.length(of: plan.queueKey)
        guard summary.sent == entries, queued == total else {
            throw WorkerBenchError.feedIncomplete(
                run: run, detail: "sent \(summary.sent) of \(entries) and the queue holds \(queued) of \(total)")
        }
        let layout: CounterLayout =
            bucketed
            ? .buckets(count: plan.buckets ?? CounterLayout.bucketCount(forUnits: summary.truth.units.count + 1)) : .keys
        let commandsBefore = try await control.commandCounts()
        let arrivals = try await BlockArrivalLog.subscribe(
            endpoint: endpoint, channel: plan.eventsChannel, watching: WorkerBenchPlan.sentinelAddress, logger: logger)
        do {
            let result = try await withWorker(
                run: run, name: "\(mode.rawValue)-\(layout.name)-drain", mode: mode, counters: layout
            ) { worker in
                let timing = try await timeDrain(worker, total: total, arrivals: arrivals, control: control)
                let commands = try await control.commandCounts().since(commandsBefore)
                note(
                    "\(run): \(NumberText.grouped(total)) entries in \(NumberText.fixed(timing.seconds, decimals: 3)) s, "
                        + "\(NumberText.grouped(Int(timing.rate)))/s; checking the counts…")
                return try await checkDrain(
                    worker, mode: mode, counters: layout, summary: summary, timing: timing, commands: commands, control: control,
                    baselineMemory: baselineMemory)
            }
            await arrivals.close()
            return result
        } catch {
            await arrivals.close()
            throw error
        }
    }

    /// Checks that the worker processed every entry, by its own account and by what Redis holds, and measures
    /// the memory it and Redis use.
    private func checkDrain(
        _ worker: WorkerProcess, mode: DetectionRule.Mode, counters layout: CounterLayout, summary: FeedSummary, timing: DrainTiming,
        commands: WorkerBenchReport.CommandCounts, control: BenchRedisControl, baselineMemory: Int
    ) async throws -> WorkerBenchReport.Drain {
        let run = worker.run
        let entries = plan.entries
        let sentinel = plan.sentinelEntries
        let total = entries + sentinel
        // Every entry processed, by the worker's own account…
        let status = try await worker.waitForStatus(within: .seconds(10)) { $0.processed >= total }
        guard let status, status.processed == total, status.rejected == 0 else {
            throw WorkerBenchError.entriesLost(
                run: run,
                detail: "the worker reports \(status?.processed ?? 0) processed and \(status?.rejected ?? 0) "
                    + "rejected of \(total) queued")
        }
        // …and by what Redis holds.
        // Per checked counter: every entry in fixed mode; in rolling mode each unit's set is capped.
        let counters = plan.checkedCounters(mode)
        let expectedStored = counters.reduce(0) { sum, entry in
            sum
                + (mode != .rolling
                    ? total : summary.truth.units.reduce(min(sentinel, entry.cap)) { $0 + min($1.sent, entry.cap) })
        }
        let patterns = counters.map { entry in
            switch (mode, layout) {
            case (.fixed, .keys), (.sliding, .keys): plan.keys.prefix + "fixed:\(entry.counter.windowSeconds):*"
            case (.fixed, .buckets), (.sliding, .buckets): plan.keys.bucketKeyPrefix(windowSeconds: entry.counter.windowSeconds) + "*"
            case (.rolling, _): plan.keys.rollingKeyPrefix(windowSeconds: entry.counter.windowSeconds) + "*"
            }
        }
        var trackedUnits = 0
        var stored = 0
        let deadline = ContinuousClock.now.advanced(by: .seconds(10))
        repeat {
            var unitKeys: [String] = []
            for pattern in patterns { unitKeys += try await control.scan(matching: pattern) }
            trackedUnits = unitKeys.count
            switch (mode, layout) {
            case (.fixed, .keys), (.sliding, .keys): stored = try await control.sumOfValues(unitKeys)
            case (.fixed, .buckets), (.sliding, .buckets): (stored, trackedUnits) = try await control.sumOfHashValues(unitKeys)
            case (.rolling, _): stored = try await control.sumOfRollingEvents(unitKeys)
            }
            if stored == expectedStored { break }
            try await Task.sleep(for: .milliseconds(100))
        } while ContinuousClock.now < deadline
        guard stored == expectedStored else {
            let what = mode != .rolling ? "the fixed counters add up to" : "the rolling logs hold"
            throw WorkerBenchError.entriesLost(
                run: run, detail: "\(what) \(stored), expected \(expectedStored) for \(total) entries")
        }
        let blocked = Int(try await control.connection.send("SCARD", plan.blocklistKey).int ?? 0)
        let growth = try await control.usedMemory() - baselineMemory
        return WorkerBenchReport.Drain(
            mode: mode.rawValue, counters: mode == .fixed ? layout.name : nil,
            buckets: { if case .buckets(let count) = layout { count } else { nil } }(), entries: entries, sentinelEntries: sentinel, prefillSeconds: summary.elapsed.seconds,
            prefillRate: summary.rate, startupSeconds: (timing.firstPop - worker.launchedAt).seconds,
            seconds: timing.seconds, rate: timing.rate, secondsToEmptyQueue: timing.secondsToEmptyQueue,
            processed: status.processed, rejected: status.rejected, stored: stored, expectedStored: expectedStored,
            blocked: blocked, expectedBlocked: summary.truth.expectedBlocked.count + 1, trackedUnits: trackedUnits,
            usedMemoryGrowth: growth,
            usedMemoryPerUnit: trackedUnits == 0 ? 0 : Double(growth) / Double(trackedUnits),
            cpu: timing.cpu, commands: commands, workerMemory: worker.memory)
    }

    /// How long a drain took.
    struct DrainTiming {
        /// The worker's first pop.
        var firstPop: ContinuousClock.Instant
        /// First pop to the last batch written, and the rate over it.
        var seconds: Double
        var rate: Double
        /// First pop to the first `LLEN` of 0 (the last pop, not the last write).
        var secondsToEmptyQueue: Double
        /// CPU from the first pop to the last write.
        var cpu: WorkerBenchReport.CPUShare
    }

    /// Polls every millisecond from the worker's launch until the drain starts, then every 10 ms. The drain
    /// starts at the worker's first pop: its `READY=1`, sent just before the first pop, or the first `LLEN` below
    /// `total`, whichever is seen first (exact to a millisecond). It ends when the sentinel's block event arrives
    /// (timed on arrival by the subscriber, not by a poll): the sentinel is popped last, and its block is written
    /// after the counters of its batch, so the event means the last batch is written.
    private func timeDrain(
        _ worker: WorkerProcess, total: Int, arrivals: BlockArrivalLog, control: BenchRedisControl
    ) async throws -> DrainTiming {
        let timeout = Duration.seconds(max(120, total / 5000))
        let deadline = worker.launchedAt.advanced(by: timeout)
        var firstPop: ContinuousClock.Instant?
        var emptied: ContinuousClock.Instant?
        var meter: CPUMeter?
        // On the connection's own event loop: no thread hop per poll, so polling costs the machine little.
        return try await withTaskExecutorPreference(control.connection.taskExecutor) {
            while true {
                try worker.poll()
                let length = try await control.length(of: plan.queueKey)
                let now = ContinuousClock.now
                if firstPop == nil {
                    if let ready = worker.readyAt {
                        firstPop = ready
                    } else if length < total {
                        firstPop = now
                    }
                    if firstPop != nil {
                        meter = CPUMeter([.worker: worker.pid, .redis: redisPid, .bench: Self.ownPid])
                    }
                }
                if length == 0, emptied == nil { emptied = now }
                if let end = arrivals.watchedArrival, let firstPop, let meter {
                    let seconds = (end - firstPop).seconds
                    return DrainTiming(
                        firstPop: firstPop, seconds: seconds, rate: seconds > 0 ? Double(total) / seconds : 0,
                        secondsToEmptyQueue: ((emptied ?? now) - firstPop).seconds, cpu: meter.finish())
                }
                try worker.checkRunning()
                guard now < deadline else {
                    throw WorkerBenchError.workerTimedOut(
                        run: worker.run,
                        waitingFor: "the last batch to be written (\(length) entries still queued after \(timeout))",
                        log: worker.logTail())
                }
                // Fine polling only until the first pop: the end is timed by the event's arrival, not by a poll.
                try await Task.sleep(for: firstPop == nil ? .milliseconds(1) : .milliseconds(10))
            }
        }
    }
}
