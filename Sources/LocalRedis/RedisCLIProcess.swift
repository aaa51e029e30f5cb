import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One run of redis-cli with its standard output and standard error captured together.
///
/// The process is started, read to the end and reaped on a thread of its own, so neither a slow
/// `--cluster create` (which sleeps a second at a time while nodes join) nor a hung one blocks a thread of the
/// cooperative pool. A deadline or task cancellation kills it with SIGKILL; the run then still waits for the exit,
/// so no redis-cli is ever left behind.
final class RedisCLIProcess: Sendable {
    /// How a run ended.
    enum Outcome: Sendable {
        /// redis-cli exited (or was killed by a signal, then `status` is the signal number and `timedOut` or
        /// `cancelled` says why).
        case finished(status: Int32, output: String, timedOut: Bool, cancelled: Bool)
        /// redis-cli could not be started at all.
        case notStarted(String)
    }

    /// Why the run was cut short.
    private enum Reason: Sendable {
        case timedOut
        case cancelled
    }

    private struct State {
        var pid: Int32?
        var exited = false
        var timedOut = false
        var cancelled = false
    }

    private let state = Locked(State())

    private init() {}

    /// Runs `executable` with `arguments` (no shell) and returns once it has exited.
    static func run(executable: String, arguments: [String], timeout: Duration) async -> Outcome {
        let run = RedisCLIProcess()
        return await withTaskCancellationHandler {
            await run.execute(executable: executable, arguments: arguments, timeout: timeout)
        } onCancel: {
            run.kill(because: .cancelled)
        }
    }

    /// The command line as a reader would type it, for error messages.
    static func commandLine(executable: String, arguments: [String]) -> String {
        ([executable] + arguments).map { argument in
            argument.isEmpty || argument.contains(where: { $0 == " " || $0 == "\"" || $0 == "'" })
                ? "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
                : argument
        }.joined(separator: " ")
    }

    private func execute(executable: String, arguments: [String], timeout: Duration) async -> Outcome {
        await withCheckedContinuation { (continuation: CheckedContinuation<Outcome, Never>) in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            process.standardInput = FileHandle.nullDevice
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            let thread = Thread { [state] in
                // Like redis-server, start from a thread with no blocked signals, so the child gets default handling.
                var unblocked = sigset_t()
                sigemptyset(&unblocked)
                pthread_sigmask(SIG_SETMASK, &unblocked, nil)
                do {
                    try ProcessLauncher.run(process)
                } catch {
                    state.withLock { $0.exited = true }
                    continuation.resume(returning: .notStarted("\(error)"))
                    return
                }
                // Cancellation or the deadline may have come before the pid was known; honour them now.
                let killNow = state.withLock { state -> Bool in
                    state.pid = process.processIdentifier
                    return state.cancelled || state.timedOut
                }
                if killNow { sendSIGKILL(to: process.processIdentifier) }
                // Our copy of the write end is closed after launch, so this ends when redis-cli exits.
                let data = (try? pipe.fileHandleForReading.readToEnd()) ?? nil
                let ending = ProcessLauncher.waitForEnding(of: process)
                let flags = state.withLock { state -> (Bool, Bool) in
                    state.exited = true
                    return (state.timedOut, state.cancelled)
                }
                continuation.resume(returning: .finished(
                    status: ending.status,
                    output: data.map { String(decoding: $0, as: UTF8.self) } ?? "",
                    timedOut: flags.0,
                    cancelled: flags.1
                ))
            }
            thread.name = "LocalRedis redis-cli"
            thread.start()
            let components = timeout.components
            let nanoseconds = components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(nanoseconds))) { [self] in
                kill(because: .timedOut)
            }
        }
    }

    /// Records why and sends SIGKILL, unless the process has already exited (so a recycled pid is never hit).
    private func kill(because reason: Reason) {
        let pid = state.withLock { state -> Int32? in
            guard !state.exited else { return nil }
            switch reason {
            case .timedOut: state.timedOut = true
            case .cancelled: state.cancelled = true
            }
            return state.pid
        }
        if let pid { sendSIGKILL(to: pid) }
    }
}

/// SIGKILL to `pid`, outside the class so the name does not clash with its `kill(because:)`.
private func sendSIGKILL(to pid: Int32) {
    _ = kill(pid, SIGKILL)
}
