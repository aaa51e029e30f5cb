import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One launched redis-server process and the means to wait for its exit.
///
/// Foundation's `Process` reaps the child itself, so exit is observed through its termination handler
/// rather than `waitpid`, which would race Foundation for the status. Waiting is async so that stopping
/// a server never blocks a thread of the cooperative pool for up to five seconds.
final class RedisChildProcess: Sendable {
    private struct State {
        var exitStatus: Int32?
        var nextWaiterID = 0
        var waiters: [Int: CheckedContinuation<Bool, Never>] = [:]
    }

    /// Process identifier; only meaningful while ``hasExited`` is false.
    let pid: Int32
    private let process: Process
    private let state: Locked<State>

    private init(process: Process, state: Locked<State>) {
        self.process = process
        self.pid = process.processIdentifier
        self.state = state
    }

    /// Starts `executable` in `directory` with stdin from /dev/null and stdout and stderr appended to `logPath`,
    /// so configuration errors printed before the log file is opened still end up in the log and no pipe can fill.
    static func launch(
        executable: String,
        arguments: [String],
        directory: String,
        logPath: String
    ) async throws(LocalRedisError) -> RedisChildProcess {
        let descriptor = open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw .launchFailed("cannot open \(logPath): \(String(cString: strerror(errno)))")
        }
        let output = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        defer { try? output.close() }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory, isDirectory: true)
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = output

        let state = Locked(State())
        // Installed before run() so an immediate exit cannot be missed.
        process.terminationHandler = { finished in
            let status = finished.terminationStatus
            let waiters = state.withLock { state -> [CheckedContinuation<Bool, Never>] in
                state.exitStatus = status
                let waiting = Array(state.waiters.values)
                state.waiters.removeAll()
                return waiting
            }
            for waiter in waiters {
                waiter.resume(returning: true)
            }
        }
        if let failure = await runWithDefaultSignalMask(process) {
            throw .launchFailed("cannot run \(executable): \(failure)")
        }
        return RedisChildProcess(process: process, state: state)
    }

    /// Runs `process` from a fresh thread with no blocked signals and returns the launch error, if any.
    ///
    /// A spawned child inherits the spawning thread's signal mask, and Swift concurrency and Dispatch threads block
    /// SIGTERM. Spawned from such a thread, redis-server would never see SIGTERM and every stop() would take the
    /// 5 s grace period before SIGKILL, losing the orderly shutdown that flushes the append-only file.
    private static func runWithDefaultSignalMask(_ process: Process) async -> String? {
        return await withCheckedContinuation { (continuation: CheckedContinuation<String?, Never>) in
            let thread = Thread {
                var unblocked = sigset_t()
                sigemptyset(&unblocked)
                pthread_sigmask(SIG_SETMASK, &unblocked, nil)
                do {
                    try ProcessLauncher.run(process)
                    continuation.resume(returning: nil)
                } catch {
                    continuation.resume(returning: "\(error)")
                }
            }
            thread.name = "LocalRedis launcher"
            thread.start()
        }
    }

    /// Whether the process has exited and been reaped.
    var hasExited: Bool {
        state.withLock { $0.exitStatus != nil }
    }

    /// Exit status (or terminating signal) once the process has exited.
    var exitStatus: Int32? {
        state.withLock { $0.exitStatus }
    }

    /// Sends `signalNumber` unless the process is known to be gone, so a recycled pid is never signalled.
    func send(_ signalNumber: Int32) {
        guard !hasExited, process.isRunning else { return }
        _ = kill(pid, signalNumber)
    }

    /// Waits for exit; returns false if `timeout` passed first. Not cancellable, because callers are cleaning up.
    @discardableResult
    func waitForExit(timeout: Duration? = nil) async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let waiterID = state.withLock { state -> Int? in
                if state.exitStatus != nil { return nil }
                let id = state.nextWaiterID
                state.nextWaiterID += 1
                state.waiters[id] = continuation
                return id
            }
            guard let waiterID else {
                continuation.resume(returning: true)
                return
            }
            guard let timeout else { return }
            let components = timeout.components
            let nanoseconds = components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(nanoseconds))) { [state] in
                let expired = state.withLock { $0.waiters.removeValue(forKey: waiterID) }
                expired?.resume(returning: false)
            }
        }
    }

    /// Sends SIGKILL and waits for the exit, for crash simulation and cleanup after failed startups.
    func killAndWait() async {
        send(SIGKILL)
        await waitForExit()
    }

    /// Sends SIGTERM so the server can flush its append-only file, then SIGKILL if it has not exited after `grace`.
    func terminateAndWait(grace: Duration = .seconds(5)) async {
        send(SIGTERM)
        if await waitForExit(timeout: grace) { return }
        await killAndWait()
    }
}
