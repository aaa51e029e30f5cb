import Foundation
import IPWatcherTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A `redis-server` of the test's own: a temporary directory, a free loopback port, no persistence, and
/// `deploy/redis-acl.conf` included in its configuration (which checks that the file is valid redis.conf text).
///
/// A launcher of its own because the server must include the shipped file as it is; from `LocalRedis` this target
/// takes only `ProcessLauncher`, so its launches never overlap those of the other suites.
/// Call ``stop()`` when done; it waits for the server to exit.
final class PrivateRedisServer {
    let port: Int
    let directory: TemporaryDirectory
    private let server: BackgroundProcess
    private let cli: String

    private init(port: Int, directory: TemporaryDirectory, server: BackgroundProcess, cli: String) {
        self.port = port
        self.directory = directory
        self.server = server
        self.cli = cli
    }

    /// Starts a server, trying a few ports in case one is taken between picking and binding.
    static func start(redisServer: String, redisCLI: String) async throws -> PrivateRedisServer {
        var lastLog = ""
        for _ in 0..<5 {
            let directory = try TemporaryDirectory("redis")
            let port = try FreePort.pick()
            let configuration = """
                port \(port)
                bind 127.0.0.1
                save ""
                appendonly no
                dir \(directory.url.path)
                logfile \(directory.path("redis.log").path)
                include \(RepositoryLayout.redisACL.path)

                """
            let configurationFile = try directory.write(configuration, to: "redis.conf")
            let server = try BackgroundProcess(
                name: "redis-server", executable: redisServer, arguments: [configurationFile.path],
                logDirectory: directory.url)
            let candidate = PrivateRedisServer(port: port, directory: directory, server: server, cli: redisCLI)
            let answered = try await eventually(within: .seconds(10), every: .milliseconds(100)) {
                !server.isRunning || (try? candidate.run(["PING"])) == "PONG"
            }
            if answered && server.isRunning { return candidate }
            server.stop(signal: SIGKILL, timeout: .seconds(5))
            lastLog = (try? String(contentsOf: directory.path("redis.log"), encoding: .utf8)) ?? ""
            lastLog += server.standardOutput + server.standardError
            directory.remove()
            if !lastLog.contains("Address already in use") { break }
        }
        throw DeploymentTestError("redis-server did not start:\n\(lastLog)")
    }

    /// Starts a server with the redis-server and redis-cli on `PATH`, failing the test when either is missing (the
    /// test's `.requires` traits have already skipped it where that is allowed).
    static func start(sourceLocation: SourceLocation = #_sourceLocation) async throws -> PrivateRedisServer {
        let redisServer = try ExternalTools.require(
            "redis-server", package: "redis-server", sourceLocation: sourceLocation)
        let redisCLI = try ExternalTools.require("redis-cli", package: "redis-tools", sourceLocation: sourceLocation)
        return try await start(redisServer: redisServer, redisCLI: redisCLI)
    }

    /// Starts a server as ``start(sourceLocation:)`` does, with the worker's ACL user made by
    /// ``addWorkerUser(rules:sourceLocation:)``; returns the server and the user's password.
    static func start(
        workerUserRules rules: (String) throws -> [String], sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> (server: PrivateRedisServer, password: String) {
        let server = try await start(sourceLocation: sourceLocation)
        do {
            return (server, try server.addWorkerUser(rules: rules, sourceLocation: sourceLocation))
        } catch {
            server.stop()
            throw error
        }
    }

    /// Creates the worker's ACL user `ipwatcher` with a random password and the rules `rules` gives for it;
    /// returns the password.
    func addWorkerUser(
        rules: (String) throws -> [String], sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> String {
        let password = RedisACLFile.randomPassword()
        let reply = try run(["ACL", "SETUSER", "ipwatcher"] + (try rules(password)))
        #expect(reply == "OK", "ACL SETUSER ipwatcher: \(reply)", sourceLocation: sourceLocation)
        return password
    }

    /// Expects every one of `commands` to be refused with NOPERM for `user`; `label` names the user in a failure.
    func expectDenied(
        _ commands: [[String]], to user: (name: String, password: String), label: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        for command in commands {
            let reply = try run(command, user: user)
            #expect(
                reply.hasPrefix("NOPERM"), "\(label): \(command.joined(separator: " ")) was allowed: \(reply)",
                sourceLocation: sourceLocation)
        }
    }

    /// Runs one command with `redis-cli` and returns its reply as redis-cli prints it (without the final newline).
    /// `user` logs in as that ACL user; the default user needs no password here.
    func run(_ command: [String], user: (name: String, password: String)? = nil, database: Int = 0) throws -> String {
        var arguments = ["-h", "127.0.0.1", "-p", "\(port)", "-n", "\(database)"]
        if let user {
            arguments += ["--user", user.name, "--pass", user.password, "--no-auth-warning"]
        }
        let result = try Subprocess.run(cli, arguments + command, timeout: .seconds(10))
        guard result.succeeded else {
            throw DeploymentTestError("redis-cli \(command.joined(separator: " ")) failed:\n\(result.combinedOutput)")
        }
        // redis-cli reports a refused login on stderr and goes on as the default user; that must not pass.
        if user != nil, result.standardError.contains("AUTH failed") {
            throw DeploymentTestError("redis-cli could not log in as \(user?.name ?? "?"): \(result.standardError)")
        }
        var reply = result.standardOutput
        while reply.hasSuffix("\n") { reply.removeLast() }
        return reply
    }

    /// The arguments for a `redis-cli` that stays connected, such as a SUBSCRIBE.
    func cliArguments(_ command: [String]) -> [String] {
        ["-h", "127.0.0.1", "-p", "\(port)"] + command
    }

    /// The path of `redis-cli`.
    var cliPath: String { cli }

    /// Shuts the server down and removes its directory.
    func stop() {
        server.stop(signal: SIGTERM, timeout: .seconds(10))
        directory.remove()
    }
}
