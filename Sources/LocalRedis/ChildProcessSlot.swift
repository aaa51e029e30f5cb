#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The current process of a restartable private server (a redis-server or a sentinel), with its lifecycle
/// operations serialized.
///
/// Stop, kill and restart suspend while a process exits or starts; the ``LifecycleGate`` keeps a `stop()` racing a
/// `restart()` from deleting the directory under a freshly started process or leaving a second one running.
final class ChildProcessSlot: Sendable {
    private let gate = LifecycleGate()
    private let child: Locked<RedisChildProcess?>

    init(_ child: RedisChildProcess) {
        self.child = Locked(child)
    }

    /// Process identifier of the current (or, after a kill or stop, the last) process.
    var pid: Int32 {
        child.withLock { $0?.pid } ?? 0
    }

    /// Whether the process is alive; false after a stop, a kill or an unexpected exit.
    var isRunning: Bool {
        guard let current = child.withLock({ $0 }) else { return false }
        return !current.hasExited
    }

    /// Sends SIGKILL without waiting, for a `deinit`; Foundation's `Process` reaps the child, so no zombie remains.
    func killNow() {
        child.withLock { $0 }?.send(SIGKILL)
    }

    /// Sends SIGTERM, waits up to 5 s, then SIGKILL, always waits for the process to be reaped, then runs
    /// `afterwards` (deleting the files), all under the gate. Not cancellable.
    func stop(afterwards: () -> Void) async {
        await gate.withGate {
            if let current = child.withLock({ $0 }) {
                await current.terminateAndWait()
            }
            afterwards()
        }
    }

    /// Kills the process with SIGKILL and waits for it to be reaped.
    func kill() async {
        await gate.withGate {
            if let current = child.withLock({ $0 }) {
                await current.killAndWait()
            }
        }
    }

    /// Shuts a running process down (SIGTERM, SIGKILL after 5 s), then makes the one `launch` returns the current
    /// one, all under the gate.
    func restart<Failure: Error>(_ launch: () async throws(Failure) -> RedisChildProcess) async throws(Failure) {
        try await gate.withGate { () async throws(Failure) in
            if let current = child.withLock({ $0 }), !current.hasExited {
                await current.terminateAndWait()
            }
            let started = try await launch()
            child.withLock { $0 = started }
        }
    }
}
