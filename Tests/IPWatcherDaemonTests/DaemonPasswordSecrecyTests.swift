import Foundation
import IPWatcherTestSupport
import LocalRedis
import RedisClient
import SystemdNotify
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `ipwatcher run` and `check-config` against a Redis with `requirepass`, the password given each way the
/// configuration takes one: it works with the right password, and the password never shows in stdout, stderr,
/// the systemd status, or the process's command line. (A wrong password in `--redis-url` exiting 78 is pinned by
/// DaemonAuthenticationExitTests; the URL forms in `check-config` by DaemonConfigurationExitTests.)
@Suite("ipwatcher: the Redis password stays secret", .needsRedisServer, .timeLimit(.minutes(10)))
struct DaemonPasswordSecrecyTests {
    /// Where the daemon gets the password from.
    enum PasswordSource: String, Sendable, CaseIterable, CustomTestStringConvertible {
        case commandLine = "--redis-url redis://:PASSWORD@…"
        case configFile = "redis.url in the config file"
        case environment = "IPWATCHER_REDIS_PASSWORD"
        case passwordFile = "redis.password_file"

        var testDescription: String { rawValue }
    }

    /// Arguments and environment for one daemon.
    struct Launch {
        var arguments: [String]
        var environment: [String: String] = [:]
    }

    /// Fresh for every test process, so a match can only be the real thing.
    static let password = "Pw-\(UUID().uuidString)-x"

    static var requirePassword: LocalRedisServerOptions {
        var options = LocalRedisServerOptions()
        options.password = password
        return options
    }

    /// `ipwatcher <command>` with `password` from `source` for the server at `url` (no credentials in it). Logs at
    /// trace level, so every log line the daemon can write gets its chance to leak.
    /// `redisSettings` are extra lines for the `redis:` section.
    static func launch(
        _ command: String, password: String, from source: PasswordSource, url: String, in scratch: ScratchDirectory,
        redisSettings: String = ""
    ) throws -> Launch {
        let base = "queue:\n  block_timeout: 0.1\nlog:\n  level: trace\nredis:\n" + redisSettings
        let urlWithPassword = url.replacingOccurrences(of: "redis://", with: "redis://:\(password)@")
        switch source {
        case .commandLine:
            let config = try scratch.write(base, to: "ipwatcher.yaml")
            return Launch(arguments: [command, "--config", config, "--redis-url", urlWithPassword])
        case .configFile:
            let config = try scratch.write(base + "  url: \"\(urlWithPassword)\"\n", to: "ipwatcher.yaml")
            return Launch(arguments: [command, "--config", config])
        case .environment:
            let config = try scratch.write(base, to: "ipwatcher.yaml")
            return Launch(
                arguments: [command, "--config", config, "--redis-url", url],
                environment: ["IPWATCHER_REDIS_PASSWORD": password])
        case .passwordFile:
            let file = try scratch.write(password + "\n", to: "redis-password")
            let config = try scratch.write(base + "  password_file: \"\(file)\"\n", to: "ipwatcher.yaml")
            return Launch(arguments: [command, "--config", config, "--redis-url", url])
        }
    }

    /// The process's command line as the kernel shows it to everyone (`ps`), arguments joined by spaces.
    static func commandLine(of pid: Int32) -> String {
        let bytes = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))) ?? Data()
        return String(decoding: bytes.map { $0 == 0 ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
    }

    @Test("with requirepass and the right password the worker becomes ready and blocks; the password shows nowhere",
        arguments: PasswordSource.allCases)
    func rightPasswordWorksAndStaysHidden(_ source: PasswordSource) async throws {
        try await withRedisServer(Self.requirePassword) { server in
            try await withScratchDirectory { scratch in
                let launch = try Self.launch("run", password: Self.password, from: source, url: server.url, in: scratch)
                try await withNotifyingDaemon(
                    launch.arguments, in: scratch,
                    extraEnvironment: launch.environment
                ) { daemon, notify in
                    try await notify.waitFor("READY=1", within: .seconds(10))

                    let shown = Self.commandLine(of: daemon.pid)
                    #expect(shown.contains(" run "), "not the daemon's command line: \(shown)")
                    #expect(!shown.contains(Self.password), "the password is in /proc/\(daemon.pid)/cmdline: \(shown)")
                    let warned = daemon.standardError.contains("blanked from the process's command line")
                    if source == .commandLine {
                        #expect(shown.contains("redis://:***@127.0.0.1:"), "\(shown)")
                        #expect(warned, "no warning about the password on the command line")
                    } else {
                        #expect(!warned, "warned about a command-line password that was not there")
                    }

                    let authenticated = server.url.replacingOccurrences(of: "redis://", with: "redis://:\(Self.password)@")
                    try await withConnection(authenticated) { redis in
                        try await redis.push(hits("203.0.113.77", 20))
                        try await waitUntil("203.0.113.77 is blocked") {
                            try await redis.isMember("203.0.113.77", of: "blocklist")
                        }
                    }
                    try await daemon.stopExpectingSuccess()
                    _ = try await notify.collect(for: .zero)
                    Self.expectNoPassword(in: daemon, notifications: notify.received)
                }
            }
        }
    }

    @Test("a wrong password from the environment, a password file or the config file exits 78 without showing it",
        arguments: [PasswordSource.environment, .passwordFile, .configFile])
    func wrongPasswordExits78WithoutShowingIt(_ source: PasswordSource) async throws {
        try await withRedisServer(Self.requirePassword) { server in
            try await withScratchDirectory { scratch in
                let wrong = "Wr0ng-\(UUID().uuidString)"
                let launch = try Self.launch("run", password: wrong, from: source, url: server.url, in: scratch)
                try await withDaemon(launch.arguments, in: scratch, extraEnvironment: launch.environment) { daemon in
                    let outcome = try #require(
                        try await daemon.waitForExit(within: .seconds(10)), "still running with a wrong password")
                    #expect(outcome.status == 78, "\(outcome); stderr: \(daemon.standardErrorLines.suffix(5))")
                    #expect(daemon.standardError.contains("WRONGPASS"), "\(daemon.standardErrorLines.suffix(5))")
                    let output = daemon.standardOutput + daemon.standardError
                    #expect(!output.contains(wrong), "the password was printed")
                }
            }
        }
    }

    @Test("while Redis is down, the retry log lines and STATUS never show the password",
        arguments: PasswordSource.allCases)
    func redisDownLogsNoPassword(_ source: PasswordSource) async throws {
        try await withRedisServer(Self.requirePassword) { server in
            await server.kill()
            try await withScratchDirectory { scratch in
                // While Redis is down a shutdown waits for the connection wait in hand, up to the command timeout:
                // keep that short.
                let launch = try Self.launch(
                    "run", password: Self.password, from: source, url: server.url, in: scratch,
                    redisSettings: "  command_timeout: 1\n")
                try await withNotifyingDaemon(
                    launch.arguments, in: scratch,
                    extraEnvironment: launch.environment
                ) { daemon, notify in
                    try await waitUntil("the worker logged two failed connects") {
                        daemon.standardErrorLines.filter { $0.contains("cannot connect to Redis") }.count >= 2
                    }
                    try await notify.waitFor("a STATUS while waiting for Redis") {
                        $0.contains("STATUS=") && $0.contains("waiting for Redis")
                    }
                    #expect(daemon.isRunning, "the worker must keep retrying, not exit")
                    #expect(!Self.commandLine(of: daemon.pid).contains(Self.password))
                    try await daemon.stopExpectingSuccess(within: .seconds(10))
                    _ = try await notify.collect(for: .zero)
                    Self.expectNoPassword(in: daemon, notifications: notify.received)
                    if source == .commandLine || source == .configFile {
                        // The URL is shown, with the password as ***.
                        #expect(daemon.standardError.contains("redis://:***@127.0.0.1:"), "\(daemon.standardErrorLines.suffix(3))")
                    }
                }
            }
        }
    }

    @Test("check-config never shows a password from the environment or a password file",
        arguments: [PasswordSource.environment, .passwordFile])
    func checkConfigHidesPasswordFromEnvironmentAndFile(_ source: PasswordSource) async throws {
        try await withScratchDirectory { scratch in
            let launch = try Self.launch(
                "check-config", password: Self.password, from: source, url: "redis://127.0.0.1:6379", in: scratch)
            try await withDaemon(launch.arguments, in: scratch, extraEnvironment: launch.environment) { process in
                let outcome = try #require(try await process.waitForExit(within: .seconds(10)))
                #expect(outcome.status == 0, "\(outcome); \(process.standardErrorLines)")
                #expect(process.standardOutput.contains("redis:"), "not the YAML: \(process.standardOutput)")
                #expect(!process.standardOutput.contains(Self.password), "password in stdout")
                #expect(!process.standardError.contains(Self.password), "password in stderr")
            }
        }
    }

    @Test("a config file whose redis.url holds a password gets a warning at start when group or others can read it",
        arguments: [(mode: 0o644, warns: true), (mode: 0o640, warns: true), (mode: 0o600, warns: false)])
    func readableConfigFileWarnsAtStart(mode: Int, warns: Bool) async throws {
        try await withRedisServer(Self.requirePassword) { server in
            try await withScratchDirectory { scratch in
                let launch = try Self.launch(
                    "run", password: Self.password, from: .configFile, url: server.url, in: scratch)
                let config = scratch.path + "/ipwatcher.yaml"
                try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: config)
                try await withNotifyingDaemon(
                    launch.arguments, in: scratch
                ) { daemon, notify in
                    // Warnings are logged before the worker starts, so by READY they are all there.
                    try await notify.waitFor("READY=1", within: .seconds(10))
                    let warning = daemon.standardErrorLines.first { $0.contains("is readable by group or others") }
                    if warns {
                        let line = try #require(warning, "no warning; stderr: \(daemon.standardErrorLines.prefix(5))")
                        #expect(line.contains("warning"), "\(line)")
                        #expect(line.contains(config) && line.contains("(mode \(String(mode, radix: 8)))"), "\(line)")
                        #expect(!line.contains(Self.password))
                    } else {
                        #expect(warning == nil, "\(warning ?? "")")
                    }
                    daemon.deliver(SIGTERM)
                    _ = try await daemon.waitForExit(within: .seconds(5))
                    #expect(!daemon.standardError.contains(Self.password))
                }
            }
        }
    }

    /// The password is in none of the daemon's output nor any message it sent systemd.
    static func expectNoPassword(
        in daemon: DaemonProcess, notifications: [String], sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let stderr = daemon.standardErrorLines
        #expect(!stderr.isEmpty, "the daemon logged nothing, so the check below would be empty", sourceLocation: sourceLocation)
        let leaking = stderr.filter { $0.contains(password) }
        #expect(leaking.isEmpty, "the password is in stderr: \(leaking.prefix(3))", sourceLocation: sourceLocation)
        #expect(!daemon.standardOutput.contains(password), "the password is in stdout", sourceLocation: sourceLocation)
        let notified = notifications.filter { $0.contains(password) }
        #expect(notified.isEmpty, "the password went to systemd: \(notified)", sourceLocation: sourceLocation)
    }
}
