import Detection
import Traffic

extension WorkerBenchmark {
    /// What the two tasks of the latency run's feed return.
    private enum FeedPart: Sendable {
        /// The feed's summary, and the CPU shares taken the moment it ended.
        case feed(FeedSummary, WorkerBenchReport.CPUShare)
        /// What the `LLEN` sampler saw.
        case queue(QueueLengthSampler.Result)
    }

    /// Detection latency at a steady offered load: a fixed-mode worker runs, the `mixed` scenario is fed at
    /// ``WorkerBenchPlan/latencyRate`` for ``WorkerBenchPlan/latencySeconds``, and for every unit whose
    /// threshold-th request was sent, the time from handing that request's `LPUSH` to Redis until its block
    /// event reached this process's subscriber is one sample. `LLEN` is sampled meanwhile.
    func latencyRun(control: BenchRedisControl) async throws -> WorkerBenchReport.Latency {
        let run = "latency run"
        try await control.reset()
        return try await withWorker(run: run, name: "latency", mode: .fixed) { worker in
            try await worker.waitUntilReady(within: .seconds(30))
            let idleMemory = worker.memory
            let arrivals = try await BlockArrivalLog.subscribe(
                endpoint: endpoint, channel: plan.eventsChannel, logger: logger)
            do {
                var result = try await measureLatency(worker, arrivals: arrivals, control: control)
                result.workerIdleMemory = idleMemory
                await arrivals.close()
                return result
            } catch {
                await arrivals.close()
                throw error
            }
        }
    }

    /// The latency run proper, with the worker ready and the subscriber listening: feed and sample, wait
    /// for the worker to catch up and account for every entry, then match crossings with block events.
    private func measureLatency(
        _ worker: WorkerProcess, arrivals: BlockArrivalLog, control: BenchRedisControl
    ) async throws -> WorkerBenchReport.Latency {
        let run = worker.run
        let rule = plan.rule(.fixed)
        let rate = plan.latencyRate
        note(
            "\(run): feeding the mixed scenario at \(NumberText.grouped(Int(rate)))/s for "
                + "\(NumberText.fixed(plan.latencySeconds, decimals: 1)) s…")
        let crossings = ThresholdCrossingLog(threshold: rule.threshold)
        // Another seed than the drains', so no unit is one the server has seen (it is flushed anyway).
        var feed = FeedConfiguration(
            scenario: .mixed, rule: rule, seed: plan.seed &+ 1, limit: .duration(.seconds(plan.latencySeconds)),
            rate: rate, queueKey: plan.queueKey)
        feed.pacingSlice = .microseconds(Int64(plan.pacingMilliseconds * 1000))
        let windowMilliseconds = Int64(rule.windowSeconds) * 1000
        let margin = Int64(Double(feed.chunkSize) / rate * 1000) + 500
        try await startClearOfWindowBoundary(
            window: windowMilliseconds, margin: margin, feedMilliseconds: Int64(plan.latencySeconds * 1000))
        let feeder = TrafficFeeder(
            endpoint: endpoint, configuration: feed, connectionConfiguration: feedConnection, logger: logger)
        let sampleInterval = Duration.milliseconds(5)
        let sampler = QueueLengthSampler(
            endpoint: endpoint, key: plan.queueKey, interval: sampleInterval, logger: logger)
        let stop = QueueLengthSampler.Stop()
        let commandsBefore = try await control.commandCounts()
        let meter = CPUMeter([.worker: worker.pid, .redis: redisPid, .bench: Self.ownPid])

        var summary: FeedSummary?
        var cpu = WorkerBenchReport.CPUShare()
        var queue = QueueLengthSampler.Result(maximum: 0, samples: 0)
        try await withThrowingTaskGroup(of: FeedPart.self) { group in
            group.addTask {
                let sent = try await feeder.run(crossings: crossings)
                return .feed(sent, meter.finish())
            }
            group.addTask { .queue(try await sampler.run(until: stop)) }
            while let part = try await group.next() {
                switch part {
                case .feed(let sent, let share):
                    summary = sent
                    cpu = share
                    stop.set()
                case .queue(let result):
                    queue = result
                }
            }
        }
        guard let summary else {
            throw WorkerBenchError.feedIncomplete(run: run, detail: "the feed returned no summary")
        }
        let feedEnded = ContinuousClock.now
        let lengthAtEnd = try await control.length(of: plan.queueKey)
        let commands = try await control.commandCounts().since(commandsBefore)

        // The worker catches up: the queue empties, and it accounts for every entry.
        let drainDeadline = feedEnded.advanced(by: .seconds(max(60, summary.sent / 5000)))
        var drained = feedEnded
        while true {
            try worker.poll()
            if try await control.length(of: plan.queueKey) == 0 {
                drained = ContinuousClock.now
                break
            }
            try worker.checkRunning()
            guard ContinuousClock.now < drainDeadline else {
                throw WorkerBenchError.workerTimedOut(
                    run: run, waitingFor: "the queue to drain after the feed", log: worker.logTail())
            }
            try await Task.sleep(for: .milliseconds(2))
        }
        let status = try await worker.waitForStatus(within: .seconds(10)) { $0.processed >= summary.sent }
        guard let status, status.processed == summary.sent, status.rejected == 0 else {
            throw WorkerBenchError.entriesLost(
                run: run,
                detail: "the worker reports \(status?.processed ?? 0) processed and \(status?.rejected ?? 0) "
                    + "rejected of \(summary.sent) sent")
        }

        // Units whose burst a fixed-window boundary may have split are left out: the worker counts per window,
        // so such a unit reaches the threshold later than its threshold-th request, or never.
        let all = crossings.all
        let judged = all.filter { crossing in
            let position = ((crossing.unixMilliseconds % windowMilliseconds) + windowMilliseconds) % windowMilliseconds
            return position >= margin && windowMilliseconds - position >= margin
        }
        // The last blocks may still be on their way.
        var first = arrivals.firstBlocks()
        let arrivalDeadline = ContinuousClock.now.advanced(by: .seconds(3))
        while judged.contains(where: { first[$0.unit] == nil }), ContinuousClock.now < arrivalDeadline {
            try await Task.sleep(for: .milliseconds(20))
            first = arrivals.firstBlocks()
        }
        var samples: [Double] = []
        var toBatch: [Double] = []
        samples.reserveCapacity(judged.count)
        toBatch.reserveCapacity(judged.count)
        for crossing in judged {
            guard let block = first[crossing.unit] else { continue }
            samples.append((block.arrival - crossing.sentAt).seconds * 1000)
            toBatch.append(Double(block.event.at - crossing.unixMilliseconds))
        }
        let latencies = LatencySamples(samples)
        let batchLatencies = LatencySamples(toBatch)
        let missing = judged.count - samples.count
        note(
            "\(run): \(NumberText.grouped(samples.count)) detections measured, p99 "
                + "\(latencies.percentile(99).map { NumberText.fixed($0, decimals: 2) } ?? "-") ms, max queue "
                + "\(NumberText.grouped(queue.maximum))"
                + (missing > 0 ? "; \(missing) crossings never got a block event" : ""))
        return WorkerBenchReport.Latency(
            offeredRate: rate, achievedRate: summary.rate, pacingMilliseconds: plan.pacingMilliseconds,
            seconds: summary.elapsed.seconds, sent: summary.sent,
            processed: status.processed, crossings: all.count, measured: samples.count,
            excludedNearWindowBoundary: all.count - judged.count, missing: missing,
            toBatchP50Milliseconds: batchLatencies.percentile(50), toBatchP99Milliseconds: batchLatencies.percentile(99),
            p50Milliseconds: latencies.percentile(50), p90Milliseconds: latencies.percentile(90),
            p99Milliseconds: latencies.percentile(99), maxMilliseconds: latencies.max,
            maxQueueLength: queue.maximum, queueSamples: queue.samples,
            queueSampleMilliseconds: sampleInterval.seconds * 1000, queueLengthAtEnd: lengthAtEnd,
            drainAfterFeedSeconds: (drained - feedEnded).seconds, cpu: cpu, commands: commands,
            workerIdleMemory: nil, workerMemory: worker.memory)
    }

    /// Waits, when the feed fits in one fixed window with `margin` to spare on both sides, until it would: the
    /// crossings within `margin` of a window boundary are left out of the measurement, and a short feed that
    /// landed on a boundary could have every crossing left out (it did, in CI).
    private func startClearOfWindowBoundary(window: Int64, margin: Int64, feedMilliseconds: Int64) async throws {
        guard feedMilliseconds + 2 * margin < window else { return }
        let now = WallClock().nowMilliseconds()
        let position = ((now % window) + window) % window
        guard position < margin || position + feedMilliseconds + margin > window else { return }
        let wait = position < margin ? margin - position : window - position + margin
        note("latency run: waiting \(NumberText.fixed(Double(wait) / 1000, decimals: 1)) s to start clear of a window boundary")
        try await Task.sleep(for: .milliseconds(wait))
    }
}
