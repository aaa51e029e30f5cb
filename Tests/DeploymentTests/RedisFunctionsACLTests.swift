import Foundation
import IPWatcherTestSupport
import Testing

/// `deploy/redis-acl-functions.conf` in a real redis-server: the worker runs its scripts as the functions
/// `ipwatcher redis install-functions` loaded, and the user can no longer run Lua of its own, empty the queue or
/// reach another database; the web tier's example user can only push to the queue and read the blocklist.
@Suite("Redis ACL for the worker with Redis Functions", .loadsMachine)
struct RedisFunctionsACLTests {
    static func functionsUserRules(password: String) throws -> [String] {
        try RedisACLFile.rules(of: "ipwatcher", in: RepositoryLayout.redisACLFunctions, password: password)
    }

    /// The worker's configuration: `scripts: functions`, a rejected-entries list, one-second bans that ban their
    /// range too (`min_units: 1`, so the range steps run as the ACL user), and no metrics port, which workers of
    /// tests running side by side would contend for.
    /// `counters: buckets` counts fixed windows in hashes.
    static func configuration(mode: String, counters: String = "keys") -> String {
        """
        redis:
          scripts: functions
        queue:
          block_timeout: 0.2
          rejected_key: "ipwatcher:rejected"
        detection:
          mode: \(mode)
          threshold: 15
          counters: \(counters)
          buckets: 8
        blocklist:
          ban_seconds: 1
          ranges: {min_units: 1}
        log:
          level: info
        metrics:
          listen: ""

        """
    }

    /// Starts `ipwatcher run` with `configuration`, as the ACL user `ipwatcher`, against the server on `port`.
    static func startWorker(
        _ executable: URL, _ configuration: URL, password: String, port: Int, in scratch: TemporaryDirectory
    ) throws -> BackgroundProcess {
        try BackgroundProcess(
            name: "ipwatcher", executable: executable.path,
            arguments: [
                "run", "--config", configuration.path, "--redis-url", "redis://ipwatcher:\(password)@127.0.0.1:\(port)",
            ], environment: Subprocess.cleanEnvironment(), logDirectory: scratch.url)
    }

    /// Runs `ipwatcher redis install-functions` as the default user and returns what it printed.
    static func installFunctions(executable: URL, port: Int, configuration: URL) throws -> CommandResult {
        try Subprocess.run(
            executable.path,
            [
                "redis", "install-functions", "--config", configuration.path, "--redis-url",
                "redis://127.0.0.1:\(port)",
            ], environment: Subprocess.cleanEnvironment(), timeout: .seconds(30))
    }

    @Test(
        .requires("redis-server", package: "redis-server"), .requires("redis-cli", package: "redis-tools"),
        .requiresBuiltExecutable, .timeLimit(.minutes(10)),
        arguments: [("fixed", "keys"), ("rolling", "keys"), ("fixed", "buckets")])
    func workerBlocksAndUnblocksWithFunctionsAndNoPermissionError(mode: String, counters: String) async throws {
        let executable = try RepositoryLayout.requireBuiltExecutable()
        let (redis, password) = try await PrivateRedisServer.start(workerUserRules: { try Self.functionsUserRules(password: $0) })
        defer { redis.stop() }

        let scratch = try TemporaryDirectory("functions-worker")
        defer { scratch.remove() }
        let configuration = try scratch.write(Self.configuration(mode: mode, counters: counters), to: "ipwatcher.yaml")
        let first = try Self.installFunctions(executable: executable, port: redis.port, configuration: configuration)
        #expect(first.succeeded, "install-functions failed:\n\(first.combinedOutput)")
        let second = try Self.installFunctions(executable: executable, port: redis.port, configuration: configuration)
        #expect(second.succeeded && second.standardOutput == first.standardOutput, "\(second.combinedOutput)")
        let libraries = try redis.run(["FUNCTION", "LIST"]).split(separator: "\n").filter { $0 == "library_name" }
        #expect(libraries.count == 1, "installing twice should leave one library")

        let worker = try Self.startWorker(
            executable, configuration, password: password, port: redis.port, in: scratch)
        defer { worker.stop(signal: SIGKILL, timeout: .seconds(5)) }
        let consuming = try await eventually(within: .seconds(20), every: .milliseconds(100)) {
            !worker.isRunning || worker.standardError.contains("consuming")
        }
        try #require(consuming && worker.isRunning, "the worker did not start consuming:\n\(worker.standardError)")

        _ = try redis.run(["LPUSH", "ips"] + Array(repeating: "203.0.113.9", count: 20) + ["not-an-address"])
        func isMember() throws -> Bool { try redis.run(["SISMEMBER", "blocklist", "203.0.113.9"]) == "1" }
        let blocked = try await eventually(within: .seconds(10), every: .milliseconds(100)) { try isMember() }
        #expect(blocked, "never blocked:\n\(worker.standardError)")
        if mode == "fixed" {
            let counterKeys = try redis.run(["KEYS", "ipwatcher:*"])
            #expect(counterKeys.contains(counters == "buckets" ? "ipwatcher:buckets:" : "ipwatcher:fixed:"), "\(counterKeys)")
        }
        let unblocked = try await eventually(within: .seconds(10), every: .milliseconds(100)) { try !isMember() }
        #expect(unblocked, "the ban did not end:\n\(worker.standardError)")
        let rejectedKept = try await eventually(within: .seconds(5), every: .milliseconds(100)) {
            try redis.run(["LRANGE", "ipwatcher:rejected", "0", "-1"]).contains("not-an-address")
        }
        #expect(rejectedKept, "the rejected entry was not kept (LPUSH/LTRIM in the selector):\n\(worker.standardError)")

        let (ending, endedInTime) = worker.stop(signal: SIGTERM, timeout: .seconds(15))
        #expect(endedInTime && ending.exited && ending.status == 0, "\(ending.standardError)")
        for line in ending.standardError.split(separator: "\n") {
            #expect(!line.contains("NOPERM") && !line.contains("no permissions"), "permission error: \(line)")
        }
        #expect(try redis.run(["ACL", "LOG"]) == "", "Redis denied something to the functions user")
        let commands = try redis.run(["INFO", "commandstats"])
        #expect(commands.contains("cmdstat_fcall:") && !commands.contains("cmdstat_evalsha:"), "\(commands)")
    }

    @Test(
        .requires("redis-server", package: "redis-server"), .requires("redis-cli", package: "redis-tools"),
        .requiresBuiltExecutable, .timeLimit(.minutes(10)))
    func workerWithoutItsFunctionsExitsWithOneLineNamingInstallFunctions() async throws {
        let executable = try RepositoryLayout.requireBuiltExecutable()
        let (redis, password) = try await PrivateRedisServer.start(workerUserRules: { try Self.functionsUserRules(password: $0) })
        defer { redis.stop() }
        // A library of another version: its functions are not the ones this worker calls.
        let other = "#!lua name=ipwatcher_00000000\nredis.register_function('ipwatcher_version_00000000', function() return '00000000' end)"
        #expect(try redis.run(["FUNCTION", "LOAD", other]) == "ipwatcher_00000000")

        let scratch = try TemporaryDirectory("functions-missing")
        defer { scratch.remove() }
        let configuration = try scratch.write(Self.configuration(mode: "fixed"), to: "ipwatcher.yaml")
        let worker = try Self.startWorker(
            executable, configuration, password: password, port: redis.port, in: scratch)
        defer { worker.stop(signal: SIGKILL, timeout: .seconds(5)) }
        let (ending, endedInTime) = worker.waitForExit(timeout: .seconds(20))
        #expect(endedInTime, "the worker kept running without its functions:\n\(ending.standardError)")
        // 78: the systemd unit's RestartPreventExitStatus, since a restart cannot load the functions.
        #expect(ending.exited && ending.status == 78, "exit \(ending.status):\n\(ending.standardError)")
        let message = ending.standardError.split(separator: "\n").filter { $0.contains("install-functions") }
        #expect(message.count == 1, "expected one line naming install-functions:\n\(ending.standardError)")
        #expect(!worker.standardError.contains("consuming"), "it reported readiness first")
    }

    @Test(.requires("redis-server", package: "redis-server"), .requires("redis-cli", package: "redis-tools"))
    func functionsUserAndWebTierUserAreRefusedTheAttacks() async throws {
        let (redis, password) = try await PrivateRedisServer.start(workerUserRules: { try Self.functionsUserRules(password: $0) })
        defer { redis.stop() }
        let worker = (name: "ipwatcher", password: password)
        let webPassword = RedisACLFile.randomPassword()
        let webRules = try RedisACLFile.rules(
            of: "webtier", in: RepositoryLayout.redisACLFunctions, password: webPassword, commented: true)
        #expect(try redis.run(["ACL", "SETUSER", "webtier"] + webRules) == "OK")
        let webTier = (name: "webtier", password: webPassword)
        _ = try redis.run(["LPUSH", "ips", "192.0.2.1", "192.0.2.2"])
        _ = try redis.run(["SADD", "blocklist", "192.0.2.66"])

        let loop = "local n = 0 while true do n = n + 1 end"
        let deniedToWorker: [[String]] = [
            ["SCRIPT", "LOAD", loop],
            ["EVAL", loop, "0"],
            ["EVALSHA", "0123456789012345678901234567890123456789", "0"],
            ["FUNCTION", "LOAD", "#!lua name=x\nredis.register_function('x', function() while true do end end)"],
            ["FUNCTION", "FLUSH"],
            ["LTRIM", "ips", "1", "0"],
            ["SET", "ips", "x"],
            ["SELECT", "1"],
            ["LPUSH", "sessions", "x"],
            ["SET", "ipwatcher-other", "x"],
            ["LPUSH", "ips", "x"],
            ["SMEMBERS", "blocklist"],
            ["SISMEMBER", "blocklist", "192.0.2.66"],
            ["DEL", "ips"],
        ]
        try redis.expectDenied(deniedToWorker, to: worker, label: "worker")
        // What it needs: LPUSH and LTRIM on its own keys (the rejected-entries list), SET (rolling logs), FCALL.
        #expect(try redis.run(["LPUSH", "ipwatcher:rejected", "x"], user: worker) == "1")
        #expect(try redis.run(["LTRIM", "ipwatcher:rejected", "0", "9"], user: worker) == "OK")
        #expect(try redis.run(["SET", "ipwatcher:rolling:60:203.0.113.7", "x"], user: worker) == "OK")
        #expect(try redis.run(["LLEN", "ips"], user: worker) == "2")

        let deniedToWebTier: [[String]] = [
            ["SADD", "blocklist", "192.0.2.1"],
            ["LPUSH", "blocklist", "x"],
            ["SREM", "blocklist", "192.0.2.66"],
            ["DEL", "ips"],
            ["LTRIM", "ips", "1", "0"],
            ["LRANGE", "ips", "0", "-1"],
            ["LPOP", "ips"],
            ["EVAL", "return 1", "0"],
            ["SELECT", "1"],
        ]
        try redis.expectDenied(deniedToWebTier, to: webTier, label: "web tier")
        #expect(try redis.run(["LPUSH", "ips", "192.0.2.3"], user: webTier) == "3")
        #expect(try redis.run(["SISMEMBER", "blocklist", "192.0.2.66"], user: webTier) == "1")
        #expect(try redis.run(["SMEMBERS", "blocklist"]) == "192.0.2.66", "a refused write changed the blocklist")
        #expect(try redis.run(["LLEN", "ips"]) == "3", "a refused command changed the queue")
    }
}
