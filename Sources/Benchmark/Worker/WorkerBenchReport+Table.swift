import Traffic

extension WorkerBenchReport {
    /// The drains in the order they ran.
    var drains: [Drain] { [fixed, buckets, rolling] }

    /// A drain's name in the table: `fixed (keys)`, `fixed (buckets)` or `rolling`.
    static func label(_ drain: Drain) -> String {
        drain.counters.map { "\(drain.mode) (\($0))" } ?? drain.mode
    }

    /// The report for people: each measurement beside its target, CPU per process, and the count checks.
    public var table: String {
        var lines: [String] = []
        let cpuModel = machine.cpuModel.map { " (\($0))" } ?? ""
        let memory = machine.memoryBytes.map { ", \(NumberText.fixed(Double($0) / 1e9, decimals: 1)) GB memory" } ?? ""
        lines.append(
            "ipwatcher bench — \(machine.build) build; \(machine.redis)"
                + (machine.redisVersion.map { ", Redis \($0)" } ?? ""))
        lines.append("machine: \(machine.cpus) CPUs\(cpuModel)\(memory)")
        lines.append(
            "worker: `ipwatcher run` subprocess, batch \(NumberText.grouped(workload.batch)), pop \(workload.popSide), "
                + "\(workload.delivery); "
                + "traffic: \(workload.scenario) without event times, seed \(workload.seed), "
                + (workload.rules.isEmpty
                    ? "threshold \(workload.threshold) per \(workload.windowSeconds) s"
                    : "rules \(workload.rules.joined(separator: ", ")) (mode set per drain; ground truth by the first)"))
        if machine.build == "debug" {
            lines.append("WARNING: debug build; measure with: swift build -c release --product ipwatcher")
        }
        lines.append("")

        var rows: [[String]] = [["measurement", "measured", "target", ""]]
        for drain in drains {
            let target = drain.mode == "fixed" ? targets.fixedDrainRate : targets.rollingDrainRate
            rows.append([
                "\(Self.label(drain)) drain, \(NumberText.grouped(drain.entries)) entries",
                "\(NumberText.grouped(Int(drain.rate)))/s", "≥ \(NumberText.grouped(Int(target)))/s",
                Self.verdict(drain.rate >= target, ratio: drain.rate / target),
            ])
        }
        rows.append([
            "  fixed (buckets) against fixed (keys), same traffic", NumberText.fixed(buckets.rate / fixed.rate, decimals: 2) + "×",
            "", "",
        ])
        if let incr = redisBenchmarkINCR {
            rows.append([
                "redis-benchmark, pipelined INCR (command below)", "\(NumberText.grouped(Int(incr)))/s",
                "reference",
                "fixed drain = \(NumberText.percent(Int(fixed.rate), of: Int(incr))) of it",
            ])
        } else {
            rows.append(["redis-benchmark, pipelined INCR", "(not installed)", "reference", ""])
        }
        for ceiling in ceilings {
            let bounded = ceiling.name == "hincrby" ? [buckets] : [fixed, rolling]
            let shares = ceiling.rate.map { rate in
                bounded.map { "\(Self.label($0)) = \(NumberText.percent(Int($0.rate), of: Int(rate)))" }
                    .joined(separator: ", ")
            }
            rows.append([
                ceiling.name == "hincrby"
                    ? "ceiling: HINCRBY, a field in \(NumberText.grouped(buckets.buckets ?? 0)) hashes"
                    : "ceiling: SET … PX, a new key with an expiry",
                ceiling.rate.map { "\(NumberText.grouped(Int($0)))/s" } ?? "(not installed)", "bounds", shares ?? "",
            ])
        }
        let offered =
            "at \(NumberText.grouped(Int(latency.offeredRate)))/s offered every "
            + "\(NumberText.fixed(latency.pacingMilliseconds, decimals: latency.pacingMilliseconds < 1 ? 1 : 0)) ms"
        let atTargetLoad = latency.offeredRate >= targets.latencyOfferedRate
        rows.append(["detection latency p50, \(offered)", Self.milliseconds(latency.p50Milliseconds), "", ""])
        rows.append(["detection latency p90", Self.milliseconds(latency.p90Milliseconds), "", ""])
        let p99Met = latency.p99Milliseconds.map { $0 <= targets.latencyP99Milliseconds } ?? false
        rows.append([
            "detection latency p99", Self.milliseconds(latency.p99Milliseconds),
            "≤ \(NumberText.fixed(targets.latencyP99Milliseconds, decimals: 0)) ms",
            (p99Met ? "met" : "above")
                + (atTargetLoad ? "" : " (target is at \(NumberText.grouped(Int(targets.latencyOfferedRate)))/s)"),
        ])
        rows.append(["detection latency max", Self.milliseconds(latency.maxMilliseconds), "", ""])
        rows.append([
            "  of which LPUSH to the worker's batch, p50 / p99",
            "\(Self.wholeMilliseconds(latency.toBatchP50Milliseconds)) / \(Self.wholeMilliseconds(latency.toBatchP99Milliseconds))",
            "", "whole ms, from the events' `at`",
        ])
        rows.append([
            "max queue length while feeding (every \(NumberText.fixed(latency.queueSampleMilliseconds, decimals: 0)) ms)",
            NumberText.grouped(latency.maxQueueLength), "bounded",
            (queueBounded ? "met" : "grew") + ": empty \(NumberText.fixed(latency.drainAfterFeedSeconds * 1000, decimals: 0))"
                + " ms after the feed",
        ])
        rows.append([
            "worker peak RSS (VmHWM, largest of 4 workers, see below)",
            workerPeakResidentBytes.map { Self.megabytes($0, decimals: 1) } ?? "-",
            "≤ \(Self.megabytes(targets.workerPeakResidentBytes, decimals: 0))",
            workerPeakResidentBytes.map { Self.verdict($0 <= targets.workerPeakResidentBytes, ratio: nil) } ?? "",
        ])
        for drain in drains {
            rows.append([
                "Redis used_memory per tracked unit, \(Self.label(drain))", "\(Int(drain.usedMemoryPerUnit.rounded())) B",
                drain.counters == "buckets" ? "≤ 40 B" : drain.mode == "rolling" ? "≤ 200 B" : "",
                "\(NumberText.grouped(drain.trackedUnits)) units, \(Self.megabytes(drain.usedMemoryGrowth, decimals: 1))",
            ])
        }
        lines += Self.aligned(rows, rightAligned: [1])
        lines.append("")

        var cpuRows: [[String]] = [
            ["CPU, % of one core (\(machine.cpus) cores)", "worker", "redis", "bench", "others", "machine"]
        ]
        for (label, share) in drains.map({ ("\(Self.label($0)) drain", $0.cpu) }) + [
            ("latency run, while feeding", latency.cpu)
        ] {
            cpuRows.append([
                label, Self.percent(share.worker), Self.percent(share.redis), Self.percent(share.bench),
                Self.percent(share.others), Self.percent(share.machine),
            ])
        }
        lines += Self.aligned(cpuRows, rightAligned: [1, 2, 3, 4, 5])
        lines.append("")

        var memoryRows: [[String]] = [["worker memory", "peak RSS", "anonymous", "file-backed"]]
        for (label, memory) in [
            ("idle, once ready", latency.workerIdleMemory), ("after the fixed (keys) drain", fixed.workerMemory),
            ("after the fixed (buckets) drain", buckets.workerMemory), ("after the rolling drain", rolling.workerMemory),
            ("after the latency run", latency.workerMemory),
        ] {
            memoryRows.append([
                label, memory.map { Self.megabytes($0.peakResidentBytes, decimals: 1) } ?? "-",
                memory?.residentAnonymousBytes.map { Self.megabytes($0, decimals: 1) } ?? "-",
                memory?.residentFileBytes.map { Self.megabytes($0, decimals: 1) } ?? "-",
            ])
        }
        lines += Self.aligned(memoryRows, rightAligned: [1, 2, 3])
        lines.append("")

        lines.append("Redis commands per worker pop:")
        for (label, commands, entries) in drains.map({
            ("\(Self.label($0)) drain", $0.commands, $0.entries + $0.sentinelEntries)
        }) + [("latency run", latency.commands, latency.sent)] {
            let pops = commands.pops
            lines.append(
                "  \(label): \(NumberText.grouped(pops)) pops of \(pops > 0 ? NumberText.grouped(entries / pops) : "-") "
                    + "entries on average; per pop \(commands.perUnit(pops))")
        }
        lines.append("")

        lines.append("reference: \(redisBenchmarkCommand)")
        for ceiling in ceilings { lines.append("ceiling: \(ceiling.command)") }
        lines.append(
            "checks: fixed drains processed \(NumberText.grouped(fixed.processed)) (keys) and "
                + "\(NumberText.grouped(buckets.processed)) (buckets) of "
                + "\(NumberText.grouped(fixed.entries + fixed.sentinelEntries)) (with the sentinel's), "
                + "counters add up to \(NumberText.grouped(fixed.stored)) and \(NumberText.grouped(buckets.stored)); "
                + "rolling drain processed "
                + "\(NumberText.grouped(rolling.processed)) of "
                + "\(NumberText.grouped(rolling.entries + rolling.sentinelEntries)), logs hold "
                + "\(NumberText.grouped(rolling.stored)) of \(NumberText.grouped(rolling.expectedStored)) expected; "
                + "latency run processed \(NumberText.grouped(latency.processed)) of \(NumberText.grouped(latency.sent)) "
                + "(\(NumberText.grouped(Int(latency.achievedRate)))/s achieved)")
        lines.append(
            "        blocked: fixed \(NumberText.grouped(fixed.blocked)) (keys), \(NumberText.grouped(buckets.blocked)) "
                + "(buckets) and rolling \(NumberText.grouped(rolling.blocked)) "
                + "of \(NumberText.grouped(fixed.expectedBlocked)) bots (the sentinel included); block events for "
                + "\(NumberText.grouped(latency.measured)) of \(NumberText.grouped(latency.measured + latency.missing)) "
                + "threshold crossings (\(NumberText.grouped(latency.excludedNearWindowBoundary)) near a window boundary "
                + "left out)")
        return lines.joined(separator: "\n")
    }

    /// Whether the queue stayed bounded in the latency run: never more than a second of offered traffic
    /// waiting, and empty within a second of the feed's end.
    var queueBounded: Bool {
        Double(latency.maxQueueLength) <= latency.offeredRate && latency.drainAfterFeedSeconds <= 1
    }

    /// `met`, or how far below its target a measurement stayed.
    private static func verdict(_ met: Bool, ratio: Double?) -> String {
        if met { return "met" }
        guard let ratio else { return "above" }
        return "below (\(NumberText.fixed(ratio * 100, decimals: 0))% of target)"
    }

    /// Milliseconds with two decimals.
    private static func milliseconds(_ value: Double?) -> String {
        value.map { NumberText.fixed($0, decimals: 2) + " ms" } ?? "-"
    }

    /// Whole milliseconds.
    private static func wholeMilliseconds(_ value: Double?) -> String {
        value.map { "\(Int($0)) ms" } ?? "-"
    }

    /// A whole percentage.
    private static func percent(_ value: Double?) -> String {
        value.map { NumberText.fixed($0, decimals: 0) + "%" } ?? "-"
    }

    /// Bytes in MB (10⁶ bytes).
    private static func megabytes(_ bytes: Int, decimals: Int) -> String {
        NumberText.fixed(Double(bytes) / 1_000_000, decimals: decimals) + " MB"
    }

    /// Rows as columns two spaces apart; the columns in `rightAligned` are right-aligned.
    private static func aligned(_ rows: [[String]], rightAligned: Set<Int>) -> [String] {
        let columns = rows.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: columns)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        return rows.map { row in
            var line = ""
            for (index, cell) in row.enumerated() {
                let padding = String(repeating: " ", count: widths[index] - cell.count)
                if index > 0 { line += "  " }
                line += rightAligned.contains(index) ? padding + cell : cell + padding
            }
            while line.last == " " { line.removeLast() }
            return line
        }
    }
}
