import Foundation
import IPWatcherTestSupport
import LocalRedis
import Synchronization
import SystemdNotify
import Testing

#if canImport(Glibc)
import Glibc
#endif

// Runs the built `ipwatcher` executable as a child process. This file declares no suite.

/// Where the `ipwatcher` executable built beside this test bundle is.
enum IPWatcherExecutable {
    /// The places looked at, in order: next to the test bundle (the directory of `CommandLine.arguments[0]` or
    /// of the main bundle), then the package's `.build/debug`.
    static let candidates: [String] = {
        var directories: [URL] = []
        if let first = CommandLine.arguments.first {
            directories.append(URL(fileURLWithPath: first).deletingLastPathComponent())
        }
        directories.append(Bundle.main.bundleURL.deletingLastPathComponent())
        directories.append(Bundle.main.bundleURL)
        let packageRoot = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        directories.append(packageRoot.appendingPathComponent(".build/debug"))
        var seen: Set<String> = []
        return directories.map { $0.appendingPathComponent("ipwatcher").standardizedFileURL.path }
            .filter { seen.insert($0).inserted }
    }()

    /// The first candidate that is an executable file, or nil.
    static let path: String? = candidates.first { candidate in
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory) && !isDirectory.boolValue
            && FileManager.default.isExecutableFile(atPath: candidate)
    }

    /// The executable's path; records a clear issue and throws when it was not built.
    static func require(sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        if let path { return path }
        let message = """
            the ipwatcher executable was not found (looked at \(candidates.joined(separator: ", "))); \
            build it first: swift build --product ipwatcher
            """
        Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation)
        throw WaitTimedOut(description: message)
    }
}

/// A private directory under /tmp (short, so a unix socket path in it fits `sun_path`), removed by ``remove()``.
struct ScratchDirectory: Sendable {
    let path: String

    init() throws {
        var template = Array("/tmp/ipw-e2e-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else {
            throw WaitTimedOut(description: "mkdtemp failed: \(String(cString: strerror(errno)))")
        }
        path = String(cString: created)
    }

    /// Writes `text` to `name` in the directory, mode 600, and returns the file's path.
    @discardableResult
    func write(_ text: String, to name: String) throws -> String {
        let file = path + "/" + name
        try Data(text.utf8).write(to: URL(fileURLWithPath: file), options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
        return file
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// The moment a child process ended, written from Foundation's termination handler.
final class ExitInstantBox: Sendable {
    private let value = Mutex<ContinuousClock.Instant?>(nil)

    /// Notes now as the exit instant unless an earlier one was noted.
    func record() { value.withLock { if $0 == nil { $0 = ContinuousClock.now } } }

    var instant: ContinuousClock.Instant? { value.withLock { $0 } }
}

/// How a child process ended.
struct ExitOutcome: Sendable, CustomStringConvertible {
    /// The exit status, or nil when a signal ended the process.
    let status: Int32?
    /// The signal that ended the process, if one did.
    let signal: Int32?

    var description: String {
        if let status { return "exit status \(status)" }
        return "killed by signal \(signal ?? -1)"
    }
}

/// One `ipwatcher` child process with its stdout and stderr captured in files.
///
/// Its environment is the test process's without any `IPWATCHER_…` or systemd variable, plus `extraEnvironment`:
/// the test process's own environment is never changed. `IPWATCHER_METRICS_LISTEN` is `127.0.0.1:0` unless
/// `extraEnvironment` says otherwise, so daemons started side by side never contend for the default port.
final class DaemonProcess {
    let arguments: [String]
    /// The directory the process runs in: its output files, and whatever configuration the test wrote there.
    let scratch: ScratchDirectory
    private let process = Process()
    /// When Foundation saw the process end.
    private let exitBox: ExitInstantBox
    private let stdoutPath: String
    private let stderrPath: String

    init(
        _ arguments: [String], in scratch: ScratchDirectory, extraEnvironment: [String: String] = [:],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        self.arguments = arguments
        self.scratch = scratch
        let name = "ipwatcher-\(UUID().uuidString.prefix(8))"
        stdoutPath = scratch.path + "/\(name).stdout"
        stderrPath = scratch.path + "/\(name).stderr"
        guard FileManager.default.createFile(atPath: stdoutPath, contents: nil),
            FileManager.default.createFile(atPath: stderrPath, contents: nil)
        else { throw WaitTimedOut(description: "cannot create the output files in \(scratch.path)") }
        process.executableURL = URL(fileURLWithPath: try IPWatcherExecutable.require(sourceLocation: sourceLocation))
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment.filter { key, _ in
            !key.hasPrefix("IPWATCHER_") && !["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"].contains(key)
        }
        environment["IPWATCHER_METRICS_LISTEN"] = "127.0.0.1:0"
        environment.merge(extraEnvironment) { _, new in new }
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        let exitInstant = ExitInstantBox()
        process.terminationHandler = { _ in exitInstant.record() }
        self.exitBox = exitInstant
        try ProcessLauncher.run(process)
    }

    deinit {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
    }

    var pid: Int32 { process.processIdentifier }

    /// When the process ended, as noted on Foundation's own thread: exact even when the test's tasks run late on a
    /// busy machine. Nil while it runs.
    var exitedAt: ContinuousClock.Instant? { exitBox.instant }
    var isRunning: Bool { ProcessLauncher.ending(of: process) == nil }

    /// Sends `signal` to the process.
    func deliver(_ signal: Int32) {
        if process.isRunning { _ = Glibc.kill(process.processIdentifier, signal) }
    }

    /// Sends SIGTERM and requires the process to exit with status 0 within `limit`, as a clean shutdown does.
    @discardableResult
    func stopExpectingSuccess(
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
    func waitForExit(within limit: Duration) async throws -> ExitOutcome? {
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
    func killAndReap() async {
        guard process.isRunning else { return }
        _ = Glibc.kill(process.processIdentifier, SIGKILL)
        _ = try? await waitForExit(within: .seconds(5))
    }

    var standardOutput: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    var standardError: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// The non-empty lines the process wrote to stderr.
    var standardErrorLines: [String] {
        standardError.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty }
    }
}

/// The configuration most daemon tests run with: a short blocking pop (so a stop or a reload is noticed within
/// 0.1 s), logs at info, the rest default.
let quickPopConfiguration = """
    queue:
      block_timeout: 0.1
    log:
      level: info
    """

/// Runs `ipwatcher arguments…` to completion (at most `limit`), returning how it ended and what it printed.
func runIPWatcher(
    _ arguments: [String], in scratch: ScratchDirectory, within limit: Duration = .seconds(10),
    sourceLocation: SourceLocation = #_sourceLocation
) async throws -> (outcome: ExitOutcome, stdout: String, stderr: [String]) {
    let process = try DaemonProcess(arguments, in: scratch, sourceLocation: sourceLocation)
    guard let outcome = try await process.waitForExit(within: limit) else {
        await process.killAndReap()
        throw WaitTimedOut(description: "ipwatcher \(arguments.joined(separator: " ")) did not exit within \(limit)")
    }
    return (outcome, process.standardOutput, process.standardErrorLines)
}

/// Starts `ipwatcher arguments…`, runs `body` with it, and always kills (if need be) and reaps it and removes
/// nothing else: the scratch directory belongs to the caller.
func withDaemon<Result>(
    _ arguments: [String], in scratch: ScratchDirectory, extraEnvironment: [String: String] = [:],
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: (DaemonProcess) async throws -> Result
) async throws -> Result {
    let process = try DaemonProcess(
        arguments, in: scratch, extraEnvironment: extraEnvironment, sourceLocation: sourceLocation)
    do {
        let result = try await body(process)
        await process.killAndReap()
        return result
    } catch {
        await process.killAndReap()
        let log = process.standardErrorLines.suffix(20).joined(separator: "\n")
        Issue.record("ipwatcher's stderr (last lines):\n\(log)", sourceLocation: sourceLocation)
        throw error
    }
}

/// Like ``withDaemon(_:in:extraEnvironment:sourceLocation:_:)``, with a ``NotifySocketListener`` in the scratch
/// directory as the process's `NOTIFY_SOCKET`, handed to `body` beside the process.
func withNotifyingDaemon<Result>(
    _ arguments: [String], in scratch: ScratchDirectory, extraEnvironment: [String: String] = [:],
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: (DaemonProcess, NotifySocketListener) async throws -> Result
) async throws -> Result {
    let notify = try NotifySocketListener(path: scratch.path + "/notify.sock")
    return try await withDaemon(
        arguments, in: scratch, extraEnvironment: extraEnvironment.merging(["NOTIFY_SOCKET": notify.path]) { $1 },
        sourceLocation: sourceLocation
    ) { daemon in
        try await body(daemon, notify)
    }
}

/// Writes `configuration` to `ipwatcher.yaml` in the scratch directory and runs `ipwatcher run` with it against
/// `redisURL`, as ``withNotifyingDaemon(_:in:extraEnvironment:sourceLocation:_:)`` does.
func withNotifyingDaemon<Result>(
    configuration: String, redisURL: String, in scratch: ScratchDirectory, extraEnvironment: [String: String] = [:],
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: (DaemonProcess, NotifySocketListener) async throws -> Result
) async throws -> Result {
    let config = try scratch.write(configuration, to: "ipwatcher.yaml")
    return try await withNotifyingDaemon(
        ["run", "--config", config, "--redis-url", redisURL], in: scratch, extraEnvironment: extraEnvironment,
        sourceLocation: sourceLocation, body)
}

/// Starts a private redis-server and `ipwatcher run` against it with `configuration`, waits (up to 10 s) for
/// READY=1, and runs `body` with the server, the process and its notify socket; stops all of them afterwards.
func withReadyDaemon<Result: Sendable>(
    configuration: String, extraEnvironment: [String: String] = [:],
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: @escaping @Sendable (LocalRedisServer, DaemonProcess, NotifySocketListener) async throws -> Result
) async throws -> Result {
    try await withRedisServer(sourceLocation: sourceLocation) { server in
        try await withScratchDirectory { scratch in
            try await withNotifyingDaemon(
                configuration: configuration, redisURL: server.url, in: scratch, extraEnvironment: extraEnvironment,
                sourceLocation: sourceLocation
            ) { daemon, notify in
                try await notify.waitFor("READY=1", within: .seconds(10))
                return try await body(server, daemon, notify)
            }
        }
    }
}

/// Runs `body` with a fresh scratch directory and removes it afterwards.
func withScratchDirectory<Result>(_ body: (ScratchDirectory) async throws -> Result) async throws -> Result {
    let scratch = try ScratchDirectory()
    do {
        let result = try await body(scratch)
        scratch.remove()
        return result
    } catch {
        scratch.remove()
        throw error
    }
}
