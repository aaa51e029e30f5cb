import Foundation
import LocalRedis
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// One child process with its stdout and stderr captured in files of a ``ScratchDirectory``.
///
/// Its environment is the test process's without any `IPWATCHER_…` or systemd variable (`JOURNAL_STREAM` too), plus `extraEnvironment`:
/// the test process's own environment is never changed, and a developer's exported settings never leak into a
/// test's daemon. A process still running when the value goes away is killed.
public final class ChildProcess {
    /// The arguments it was started with.
    public let arguments: [String]
    /// The directory the process's output files are in, beside whatever the test wrote there.
    public let scratch: ScratchDirectory
    private let process = Process()
    /// When Foundation saw the process end.
    private let exitBox = ExitInstantBox()
    private let stdoutPath: String
    private let stderrPath: String

    /// Starts `executable` with `arguments`; its output goes to files in `scratch`.
    ///
    /// With `standardErrorIsJournal`, `JOURNAL_STREAM` names the stderr file's device and inode, as systemd sets
    /// it for a service whose stderr is the journal.
    public init(
        executable: String, arguments: [String], in scratch: ScratchDirectory, extraEnvironment: [String: String] = [:],
        standardErrorIsJournal: Bool = false
    ) throws {
        self.arguments = arguments
        self.scratch = scratch
        let name = "\(URL(fileURLWithPath: executable).lastPathComponent)-\(UUID().uuidString.prefix(8))"
        stdoutPath = scratch.path + "/\(name).stdout"
        stderrPath = scratch.path + "/\(name).stderr"
        guard FileManager.default.createFile(atPath: stdoutPath, contents: nil),
            FileManager.default.createFile(atPath: stderrPath, contents: nil)
        else { throw WaitTimedOut(description: "cannot create the output files in \(scratch.path)") }
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment.filter { key, _ in
            !key.hasPrefix("IPWATCHER_")
                && !["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM"].contains(key)
        }
        if standardErrorIsJournal {
            var status = stat()
            guard stat(stderrPath, &status) == 0 else {
                throw WaitTimedOut(description: "cannot stat \(stderrPath)")
            }
            environment["JOURNAL_STREAM"] = "\(status.st_dev):\(status.st_ino)"
        }
        environment.merge(extraEnvironment) { _, new in new }
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        let exitInstant = exitBox
        process.terminationHandler = { _ in exitInstant.record() }
        try ProcessLauncher.run(process)
    }

    deinit {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
    }

    /// The process's id.
    public var pid: Int32 { process.processIdentifier }

    /// When the process ended, as noted on Foundation's own thread: exact even when the test's tasks run late on a
    /// busy machine. Nil while it runs.
    public var exitedAt: ContinuousClock.Instant? { exitBox.instant }
    /// Whether the process is still running, as the kernel tells.
    public var isRunning: Bool { ProcessLauncher.ending(of: process) == nil }

    /// Sends `signal` to the process.
    public func deliver(_ signal: Int32) {
        if process.isRunning { _ = Glibc.kill(process.processIdentifier, signal) }
    }

    /// Sends SIGTERM and requires the process to exit with status 0 within `limit`, as a clean shutdown does.
    @discardableResult
    public func stopExpectingSuccess(
        within limit: Duration = .seconds(5), sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> ExitOutcome {
        deliver(SIGTERM)
        let outcome = try #require(
            try await waitForExit(within: limit), "still running \(limit) after SIGTERM",
            sourceLocation: sourceLocation)
        #expect(outcome.status == 0, "\(outcome)", sourceLocation: sourceLocation)
        return outcome
    }

    /// How the process ended, or nil if it is still running after `limit`.
    ///
    /// Asks the kernel (``ProcessLauncher/ending(of:)``) every 2 ms rather than waiting on Foundation, whose notice of
    /// an exit can lag behind it; whichever notices first records the exit instant.
    public func waitForExit(within limit: Duration) async throws -> ExitOutcome? {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: limit)
        while true {
            if let ending = ProcessLauncher.ending(of: process) {
                exitBox.record()
                return ending.exited
                    ? ExitOutcome(status: ending.status, signal: nil) : ExitOutcome(status: nil, signal: ending.status)
            }
            if clock.now >= deadline { return nil }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Kills the process if it still runs and waits (bounded) until it is reaped.
    public func killAndReap() async {
        guard process.isRunning else { return }
        _ = Glibc.kill(process.processIdentifier, SIGKILL)
        _ = try? await waitForExit(within: .seconds(5))
    }

    /// Everything the process wrote to stdout so far.
    public var standardOutput: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    /// Everything the process wrote to stderr so far.
    public var standardError: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// The non-empty lines the process wrote to stderr.
    public var standardErrorLines: [String] {
        standardError.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty }
    }
}

/// The moment a child process ended, written from Foundation's termination handler.
private final class ExitInstantBox: Sendable {
    private let value = Mutex<ContinuousClock.Instant?>(nil)

    /// Notes now as the exit instant unless an earlier one was noted.
    func record() { value.withLock { if $0 == nil { $0 = ContinuousClock.now } } }

    var instant: ContinuousClock.Instant? { value.withLock { $0 } }
}
