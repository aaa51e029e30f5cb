import Foundation
import IPWatcherTestSupport

// The example app and the worker as child processes, as an operator runs them. This file declares no suite.

/// `ipwatcher-web-example` running as a child process, and the port it listens on.
struct ExampleAppProcess {
    let process: ChildProcess
    let port: Int

    /// Starts the example app (built beside this test bundle) with `arguments` on a free port and waits for its
    /// listening line, which names the port.
    static func start(_ arguments: [String], in scratch: ScratchDirectory) async throws -> ExampleAppProcess {
        let executable = try BuiltExecutable.require(
            named: "ipwatcher-web-example", packageRoots: [packageRoot],
            buildCommand: "swift build --product ipwatcher-web-example (in Integrations/ipwatcher-hummingbird)")
        let process = try ChildProcess(executable: executable, arguments: ["--port", "0"] + arguments, in: scratch)
        var port: Int?
        try await waitUntil("the example app logs that it listens", within: .seconds(20)) {
            guard process.isRunning else {
                throw WaitTimedOut(description: "the example app exited: \(process.standardError)")
            }
            port = listeningPort(in: process.standardError)
            return port != nil
        }
        return ExampleAppProcess(process: process, port: try unwrap(port))
    }

    /// The port in `… listening on http://127.0.0.1:PORT …`.
    static func listeningPort(in log: String) -> Int? {
        guard let range = log.range(of: "listening on http://127.0.0.1:") else { return nil }
        return Int(log[range.upperBound...].prefix { $0.isNumber })
    }

    /// `GET path` with `headers`.
    func get(_ path: String = "/", headers: [(String, String)] = []) async throws -> HTTPTestClient.Response {
        try await HTTPTestClient.send(path, port: port, headers: headers)
    }

    /// `GET /` as the client `address` behind a proxy (the request's `X-Forwarded-For`).
    func get(forwardedFor address: String) async throws -> HTTPTestClient.Response {
        try await get(headers: [("X-Forwarded-For", address)])
    }

    /// The value of a sample in `GET /metrics` (`name` with its labels, as printed), or nil when absent.
    func metric(_ name: String) async throws -> Double? {
        let text = try await get("/metrics").body
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.dropFirst(name.count + 1))
        }
        return nil
    }

    /// This package's root, which holds `.build/debug` when the test bundle runs from elsewhere.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    private static func unwrap(_ port: Int?) throws -> Int {
        guard let port else { throw WaitTimedOut(description: "no listening port") }
        return port
    }
}

/// `ipwatcher run` as a child process (the ipwatcher package's own build), and its `blocklist` commands.
enum WorkerProcess {
    /// The `ipwatcher` executable of the package at the repository's root.
    static func executable() throws -> String {
        try BuiltExecutable.require(
            named: "ipwatcher", packageRoots: [BuiltExecutable.ipwatcherPackageRoot],
            buildCommand: "swift build --product ipwatcher (at the repository's root)")
    }

    /// Starts `ipwatcher run` with `configuration` against `redisURL`.
    static func start(configuration: String, redisURL: String, in scratch: ScratchDirectory) throws -> ChildProcess {
        let file = try scratch.write(configuration, to: "worker.yaml")
        return try ChildProcess(
            executable: try executable(), arguments: ["run", "--config", file, "--redis-url", redisURL], in: scratch,
            extraEnvironment: ["IPWATCHER_METRICS_LISTEN": "127.0.0.1:0"])
    }

    /// Runs `ipwatcher blocklist arguments… --redis-url redisURL` to its end; returns when it exited.
    @discardableResult
    static func blocklist(
        _ arguments: [String], redisURL: String, in scratch: ScratchDirectory
    ) async throws -> ContinuousClock.Instant {
        let process = try ChildProcess(
            executable: try executable(), arguments: ["blocklist"] + arguments + ["--redis-url", redisURL], in: scratch)
        guard let outcome = try await process.waitForExit(within: .seconds(20)), outcome.status == 0 else {
            throw WaitTimedOut(description: "ipwatcher blocklist \(arguments) failed: \(process.standardError)")
        }
        return process.exitedAt ?? .now
    }
}
