import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Starts Foundation `Process`es one at a time within this process, and tells when one ended without relying on
/// Foundation having noticed.
///
/// On Linux, Foundation learns that a child ended when the child's end of a socket pair closes. The pair is made
/// without close-on-exec, and the child's end stays open in this process until `run()` returns; a second `run()` on
/// another thread in that window can hand a copy to *its* child. Then the first child's exit goes unnoticed until the
/// second child ends too: a `redis-cli` that printed its reply in milliseconds looked hung for 10 s in a CI run while
/// other suites started `redis-server`s. Launching under one lock closes that window, and ``ending(of:)`` asks the
/// kernel directly, so a waiter never depends on Foundation's bookkeeping. Every launch in the tests, the fixtures
/// and the bench goes through here.
public enum ProcessLauncher {
    private static let launching = Mutex(())

    /// How a child process ended.
    public struct Ending: Sendable, Equatable {
        /// The exit status, or the number of the signal that ended it.
        public var status: Int32
        /// Whether it exited (rather than being ended by a signal).
        public var exited: Bool

        /// Records an ending.
        public init(status: Int32, exited: Bool) {
            self.status = status
            self.exited = exited
        }
    }

    /// Runs `process.run()` while no other launch through this type is in progress.
    public static func run(_ process: Process) throws {
        try launching.withLock { _ in try process.run() }
    }

    /// How the launched `process` ended, or nil while it runs.
    ///
    /// Asks the kernel with `waitid(…, WNOWAIT)`, which reads the status of an ended child without reaping it, so
    /// Foundation still reaps it and nothing races it for the status.
    public static func ending(of process: Process) -> Ending? {
        if !process.isRunning {
            return Ending(status: process.terminationStatus, exited: process.terminationReason == .exit)
        }
        let pid = process.processIdentifier
        guard pid > 0 else { return nil }
        var information = siginfo_t()
        // A failure is ECHILD: Foundation is reaping the child this instant, and `isRunning` turns false next.
        guard waitid(P_PID, id_t(pid), &information, WEXITED | WNOHANG | WNOWAIT) == 0,
            information._sifields._sigchld.si_pid == pid
        else { return nil }
        return Ending(
            status: information._sifields._sigchld.si_status,
            exited: Int(information.si_code) == Int(CLD_EXITED))
    }

    /// Blocks the calling thread until the launched `process` ends and returns how; for threads made to wait.
    public static func waitForEnding(of process: Process) -> Ending {
        while true {
            if let ending = ending(of: process) { return ending }
            usleep(5_000)
        }
    }
}
