import Foundation

/// Measures how busy a few processes are over a stretch of time: CPU time used divided by wall time, in
/// percent of one core (a process with several busy threads can exceed 100).
struct CPUMeter {
    /// The processes watched, by role.
    enum Role: String, CaseIterable, Sendable {
        /// The `ipwatcher run` subprocess, redis-server, and this process.
        case worker, redis, bench
    }

    private let start: ContinuousClock.Instant
    private let pids: [Role: Int32]
    private let ticks: [Role: UInt64]
    private let machine: (busy: UInt64, total: UInt64)?

    /// Starts measuring the processes in `pids` (a missing pid or unreadable /proc leaves its role out).
    init(_ pids: [Role: Int32?]) {
        var known: [Role: Int32] = [:]
        var ticks: [Role: UInt64] = [:]
        for (role, pid) in pids {
            guard let pid, let used = ProcFS.cpuTicks(pid: pid) else { continue }
            known[role] = pid
            ticks[role] = used
        }
        self.pids = known
        self.ticks = ticks
        self.machine = ProcFS.machineTicks()
        self.start = ContinuousClock.now
    }

    /// Each process's CPU use since ``init(_:)``, in percent of one core.
    func finish() -> WorkerBenchReport.CPUShare {
        let seconds = (ContinuousClock.now - start).seconds
        /// CPU of `role` over the measured time, or nil when it is not known.
        func percent(_ role: Role) -> Double? {
            guard seconds > 0, let pid = pids[role], let before = ticks[role], let after = ProcFS.cpuTicks(pid: pid),
                after >= before
            else { return nil }
            return Double(after - before) / ProcFS.ticksPerSecond / seconds * 100
        }
        var share = WorkerBenchReport.CPUShare(worker: percent(.worker), redis: percent(.redis), bench: percent(.bench))
        if let before = machine, let after = ProcFS.machineTicks(), after.total > before.total {
            let cores = Double(ProcessInfo.processInfo.activeProcessorCount)
            let busy = Double(after.busy - before.busy) / Double(after.total - before.total) * cores * 100
            share.machine = busy
            share.others = max(busy - (share.worker ?? 0) - (share.redis ?? 0) - (share.bench ?? 0), 0)
        }
        return share
    }
}
