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
    /// The places looked at, in order: next to the test bundle, then the package's `.build/debug`.
    static let candidates = BuiltExecutable.candidates(
        named: "ipwatcher", packageRoots: [BuiltExecutable.ipwatcherPackageRoot])

    /// The first candidate that is an executable file, or nil.
    static let path = BuiltExecutable.path(named: "ipwatcher", packageRoots: [BuiltExecutable.ipwatcherPackageRoot])

    /// The executable's path; records a clear issue and throws when it was not built.
    static func require(sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        do {
            return try BuiltExecutable.require(
                named: "ipwatcher", packageRoots: [BuiltExecutable.ipwatcherPackageRoot],
                buildCommand: "swift build --product ipwatcher")
        } catch {
            Issue.record(Comment(rawValue: "\(error)"), sourceLocation: sourceLocation)
            throw error
        }
    }
}

/// An `ipwatcher` child process (see ``ChildProcess``).
typealias DaemonProcess = ChildProcess

extension ChildProcess {
    /// Starts `ipwatcher arguments…`. `IPWATCHER_METRICS_LISTEN` is `127.0.0.1:0` unless `extraEnvironment` says
    /// otherwise, so daemons started side by side never contend for the default port.
    convenience init(
        _ arguments: [String], in scratch: ScratchDirectory, extraEnvironment: [String: String] = [:],
        standardErrorIsJournal: Bool = false, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        try self.init(
            executable: try IPWatcherExecutable.require(sourceLocation: sourceLocation), arguments: arguments,
            in: scratch,
            extraEnvironment: ["IPWATCHER_METRICS_LISTEN": "127.0.0.1:0"].merging(extraEnvironment) { _, new in new },
            standardErrorIsJournal: standardErrorIsJournal)
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
    standardErrorIsJournal: Bool = false, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: (DaemonProcess) async throws -> Result
) async throws -> Result {
    let process = try DaemonProcess(
        arguments, in: scratch, extraEnvironment: extraEnvironment, standardErrorIsJournal: standardErrorIsJournal,
        sourceLocation: sourceLocation)
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

/// Like ``withDaemon(_:in:extraEnvironment:standardErrorIsJournal:sourceLocation:_:)``, with a ``NotifySocketListener`` in the scratch
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
