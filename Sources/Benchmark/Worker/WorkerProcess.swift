import Foundation
import LocalRedis
import SystemdNotify

#if canImport(Glibc)
import Glibc
#endif

/// One `ipwatcher run` subprocess — this same binary — with a generated configuration file, its log in a
/// file, and a notify socket of the benchmark's own that hears its `READY=1` and `STATUS=` lines.
///
/// Owned by one task. Always end it with ``stop()``, which also runs when the task is cancelled.
final class WorkerProcess {
    /// What the measurement is called in messages (`fixed drain`, `latency run`).
    let run: String
    /// When the process was launched.
    let launchedAt: ContinuousClock.Instant
    private let process: Process
    private let notify: NotifySocketListener
    private let logPath: String
    /// When ``poll()`` first saw `READY=1`.
    private(set) var readyAt: ContinuousClock.Instant?
    /// The most recent `STATUS=` figures.
    private(set) var status: WorkerStatusLine?

    /// This binary: `/proc/self/exe` resolved; `/proc/self/exe` itself when the file was replaced since this
    /// process started (a rebuild), which still starts this very binary; else `CommandLine.arguments[0]`.
    static var executablePath: String {
        if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return resolved.hasSuffix(" (deleted)") ? "/proc/self/exe" : resolved
        }
        let first = CommandLine.arguments.first ?? "ipwatcher"
        if first.hasPrefix("/") { return first }
        if first.contains("/") { return FileManager.default.currentDirectoryPath + "/" + first }
        return first
    }

    /// Writes `configuration` to `<directory>/<name>.yaml` (mode 600: it holds the Redis URL) and starts
    /// `ipwatcher run --config` on it, with `IPWATCHER_…` and systemd variables removed from its environment and
    /// `MALLOC_ARENA_MAX=1` added unless set, as the systemd unit runs it.
    init(run: String, name: String, configuration: String, directory: String) throws {
        self.run = run
        let configPath = directory + "/\(name).yaml"
        logPath = directory + "/\(name).log"
        try Data(configuration.utf8).write(to: URL(fileURLWithPath: configPath), options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: configPath)
        guard FileManager.default.createFile(atPath: logPath, contents: nil) else {
            throw WorkerBenchError.system("create \(logPath)", errno: errno)
        }
        notify = try NotifySocketListener(path: directory + "/\(name).notify")
        process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executablePath)
        process.arguments = ["run", "--config", configPath]
        var environment = ProcessInfo.processInfo.environment.filter { key, _ in
            !key.hasPrefix("IPWATCHER_") && !key.hasPrefix("WATCHDOG_") && !key.hasPrefix("LISTEN_")
        }
        environment["NOTIFY_SOCKET"] = notify.path
        // The benchmark may run beside a real daemon, which owns the default metrics port.
        environment["IPWATCHER_METRICS_LISTEN"] = ""
        // One malloc arena, as deploy/ipwatcher.service runs the daemon, unless the caller chose otherwise: the
        // memory figures are the deployed worker's.
        environment["MALLOC_ARENA_MAX"] = environment["MALLOC_ARENA_MAX"] ?? "1"
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = log
        process.standardError = log
        launchedAt = ContinuousClock.now
        try ProcessLauncher.run(process)
        try? log.close()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// The subprocess's id.
    var pid: Int32 { process.processIdentifier }

    /// Whether it still runs.
    var isRunning: Bool { process.isRunning }

    /// The worker's memory now, with its peak so far; nil once it has exited.
    var memory: WorkerBenchReport.WorkerMemory? { ProcFS.memory(pid: pid) }

    /// Reads what the worker told its notify socket since the last call.
    func poll() throws {
        for message in try notify.receive() {
            for line in message.split(separator: "\n") {
                if line == "READY=1", readyAt == nil { readyAt = ContinuousClock.now }
                if line.hasPrefix("STATUS="), let figures = WorkerStatusLine(status: line.dropFirst(7)) {
                    status = figures
                }
            }
        }
    }

    /// Throws ``WorkerBenchError/workerExited(run:status:log:)`` when the worker is no longer running.
    func checkRunning() throws {
        guard !process.isRunning else { return }
        throw WorkerBenchError.workerExited(run: run, status: exitDescription, log: logTail())
    }

    /// Waits until `READY=1`, i.e. the worker reached Redis and is about to pop.
    func waitUntilReady(within limit: Duration) async throws {
        try await wait(for: "READY=1", within: limit) { readyAt != nil }
    }

    /// Waits until a `STATUS=` line satisfies `condition` (the worker sends one every 2 s) and returns it;
    /// returns the last one seen, or nil, when `limit` passes first.
    func waitForStatus(within limit: Duration, where condition: (WorkerStatusLine) -> Bool) async throws
        -> WorkerStatusLine?
    {
        let deadline = ContinuousClock.now.advanced(by: limit)
        while true {
            try poll()
            if let status, condition(status) { return status }
            try checkRunning()
            if ContinuousClock.now >= deadline { return status }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Polls the notify socket until `condition` holds, throwing when the worker exits or `limit` passes.
    private func wait(for what: String, within limit: Duration, until condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now.advanced(by: limit)
        while true {
            try poll()
            if condition() { return }
            try checkRunning()
            guard ContinuousClock.now < deadline else {
                throw WorkerBenchError.workerTimedOut(run: run, waitingFor: what, log: logTail())
            }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Stops the worker: SIGTERM, then up to 10 s for the graceful shutdown (it finishes the batch in hand),
    /// then SIGKILL. In a cancelled task it kills at once. Returns how it ended.
    @discardableResult
    func stop() async -> String {
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            let deadline = ContinuousClock.now.advanced(by: .seconds(10))
            while process.isRunning, !Task.isCancelled, ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(5))
            }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            // Reaped right away after SIGTERM's exit or SIGKILL.
            process.waitUntilExit()
        }
        return exitDescription
    }

    /// How the process ended, or `running`.
    var exitDescription: String {
        if process.isRunning { return "running" }
        switch process.terminationReason {
        case .exit: return "exit status \(process.terminationStatus)"
        case .uncaughtSignal: return "killed by signal \(process.terminationStatus)"
        @unknown default: return "ended"
        }
    }

    /// The last `lines` lines of the worker's log.
    func logTail(lines: Int = 20) -> String {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        let tail = text.split(separator: "\n", omittingEmptySubsequences: true).suffix(lines)
        return tail.isEmpty ? "(empty)" : tail.map { "  " + $0 }.joined(separator: "\n")
    }
}
