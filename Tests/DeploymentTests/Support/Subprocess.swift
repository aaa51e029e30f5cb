import Foundation
import IPWatcherTestSupport
import LocalRedis
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What a finished command printed and how it ended.
struct CommandResult: Sendable {
    /// The exit status, or the signal number when it was killed by one.
    var status: Int32
    /// Whether it exited (rather than being killed by a signal).
    var exited: Bool
    var standardOutput: String
    var standardError: String

    /// Output and error output together, for messages.
    var combinedOutput: String { standardOutput + standardError }

    /// Whether it exited with status 0.
    var succeeded: Bool { exited && status == 0 }
}

/// A child process whose output goes to files (so it can never block on a full pipe), read at any time.
final class BackgroundProcess {
    let name: String
    let process = Process()
    let standardOutputFile: URL
    let standardErrorFile: URL

    /// Starts `executable` with `arguments`; `environment` nil inherits this process's environment. Output files are
    /// created in `logDirectory` as `<name>.out` and `<name>.err`.
    init(
        name: String, executable: String, arguments: [String], environment: [String: String]? = nil,
        logDirectory: URL
    ) throws {
        self.name = name
        standardOutputFile = logDirectory.appending(path: "\(name).out")
        standardErrorFile = logDirectory.appending(path: "\(name).err")
        _ = FileManager.default.createFile(atPath: standardOutputFile.path, contents: nil)
        _ = FileManager.default.createFile(atPath: standardErrorFile.path, contents: nil)
        process.executableURL = URL(filePath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: standardOutputFile)
        process.standardError = try FileHandle(forWritingTo: standardErrorFile)
        try Self.runWithNoBlockedSignals(process)
    }

    /// Starts `process` from a fresh thread whose signal mask is empty.
    ///
    /// A child inherits the spawning thread's signal mask, and the threads of Swift concurrency and Dispatch block
    /// most signals (SIGTERM and SIGHUP included). Spawned from one of them, redis-server would ignore SIGTERM until
    /// killed, and ipwatcher would not see signals as it does under systemd, which starts services with no signal
    /// blocked.
    private static func runWithNoBlockedSignals(_ process: Process) throws {
        let failure = Mutex<String?>(nil)
        let launched = DispatchSemaphore(value: 0)
        let thread = Thread {
            var unblocked = sigset_t()
            sigemptyset(&unblocked)
            pthread_sigmask(SIG_SETMASK, &unblocked, nil)
            do {
                try ProcessLauncher.run(process)
            } catch {
                failure.withLock { $0 = "\(error)" }
            }
            launched.signal()
        }
        thread.name = "DeploymentTests launcher"
        thread.start()
        launched.wait()
        if let reason = failure.withLock({ $0 }) {
            throw DeploymentTestError("cannot run \(process.executableURL?.path ?? "?"): \(reason)")
        }
    }

    var isRunning: Bool { ProcessLauncher.ending(of: process) == nil }
    var processIdentifier: Int32 { process.processIdentifier }

    /// Everything written to standard output so far.
    var standardOutput: String { (try? String(contentsOf: standardOutputFile, encoding: .utf8)) ?? "" }
    /// Everything written to standard error so far.
    var standardError: String { (try? String(contentsOf: standardErrorFile, encoding: .utf8)) ?? "" }

    /// Sends `signal` if the process still runs.
    func send(_ signal: Int32) {
        if process.isRunning { kill(process.processIdentifier, signal) }
    }

    /// Waits up to `timeout` for the process to end; kills it (SIGKILL) if it does not, so no child outlives a test.
    /// Returns how it ended and whether it ended on its own.
    ///
    /// Asks the kernel (``ProcessLauncher/ending(of:)``) rather than waiting on Foundation, whose notice of an exit
    /// can lag behind it.
    @discardableResult
    func waitForExit(timeout: Duration) -> (result: CommandResult, endedInTime: Bool) {
        var ending = Self.pollEnding(of: process, until: ContinuousClock.now + timeout)
        let endedInTime = ending != nil
        if ending == nil {
            kill(process.processIdentifier, SIGKILL)
            ending = Self.pollEnding(of: process, until: ContinuousClock.now + .seconds(30))
        }
        let result = CommandResult(
            status: ending?.status ?? SIGKILL, exited: ending?.exited ?? false,
            standardOutput: standardOutput, standardError: standardError)
        return (result, endedInTime)
    }

    private static func pollEnding(of process: Process, until deadline: ContinuousClock.Instant) -> ProcessLauncher.Ending? {
        while true {
            if let ending = ProcessLauncher.ending(of: process) { return ending }
            if ContinuousClock.now >= deadline { return nil }
            usleep(10_000)
        }
    }

    /// Sends `signal` and waits up to `timeout` for the end (then SIGKILL).
    @discardableResult
    func stop(signal: Int32 = SIGTERM, timeout: Duration = .seconds(10)) -> (result: CommandResult, endedInTime: Bool) {
        send(signal)
        return waitForExit(timeout: timeout)
    }
}

/// Runs short commands to completion.
enum Subprocess {
    /// Runs `executable` with `arguments` and returns what it printed; a command still running after `timeout` is
    /// killed and reported as a failure.
    static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil,
        timeout: Duration = .seconds(60)
    ) throws -> CommandResult {
        let scratch = try TemporaryDirectory("command")
        defer { scratch.remove() }
        let child = try BackgroundProcess(
            name: "command", executable: executable, arguments: arguments, environment: environment,
            logDirectory: scratch.url)
        let (result, endedInTime) = child.waitForExit(timeout: timeout)
        guard endedInTime else {
            throw DeploymentTestError(
                "\(executable) \(arguments.joined(separator: " ")) did not finish within \(timeout):\n"
                    + result.combinedOutput)
        }
        return result
    }

    /// This process's environment without the variables that would change how `ipwatcher` or systemd tools behave
    /// (`IPWATCHER_…`, `NOTIFY_SOCKET`, `WATCHDOG_…`, `SYSTEMD_…`), with metrics on any free loopback port, plus
    /// `additions`.
    static func cleanEnvironment(adding additions: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { name, _ in
            !name.hasPrefix("IPWATCHER_") && !name.hasPrefix("WATCHDOG_") && !name.hasPrefix("SYSTEMD_")
                && name != "NOTIFY_SOCKET"
        }
        // Any free port rather than the default 9464, so workers started side by side never contend for it.
        environment["IPWATCHER_METRICS_LISTEN"] = "127.0.0.1:0"
        environment.merge(additions) { _, new in new }
        return environment
    }
}
