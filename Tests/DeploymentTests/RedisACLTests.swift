import Foundation
import IPWatcherTestSupport
import Testing

/// `deploy/redis-acl.conf` in a real redis-server: it loads as a redis.conf include, it grants the worker everything
/// it does (commands, the commands inside its Lua scripts, keys, the events channel) and nothing much else.
@Suite("Redis ACL for the worker", .loadsMachine)
struct RedisACLTests {
    /// One way of running the worker; together they use every command the ACL grants that Redis 7 reaches.
    struct Scenario: Sendable, CustomTestStringConvertible {
        var name: String
        var mode: String
        var pop: String
        var database: Int
        /// The password comes from a file named by IPWATCHER_REDIS_PASSWORD_FILE, as the credential drop-in does;
        /// otherwise it is in the URL.
        var passwordFromFile: Bool
        var dryRun: Bool
        /// What the web tier pushes, and the blocklist member it becomes.
        var address: String
        var unit: String
        /// `blocklist.ranges.min_units`: 1 bans the unit's range with the unit, so the range steps of the ban and
        /// expiry scripts run as the ACL user too.
        var rangeMinUnits = 0
        /// `detection.counters`: `buckets` counts fixed windows in hashes (`HINCRBY`, in `MULTI`/`EXEC` blocks).
        var counters = "keys"

        var testDescription: String { name }

        /// The worker's configuration file; the URL comes from --redis-url.
        var configuration: String {
            """
            queue:
              pop: \(pop)
              block_timeout: 0.2
              rejected_key: "ipwatcher:rejected"
            detection:
              mode: \(mode)
              threshold: 15
              dry_run: \(dryRun)
              counters: \(counters)
              buckets: 8
            blocklist:
              ban_seconds: 1
              ranges: {min_units: \(rangeMinUnits)}
            log:
              level: info

            """
        }

        static let all: [Scenario] = [
            Scenario(
                name: "fixed windows, pop left, database 0, password in the URL", mode: "fixed", pop: "left",
                database: 0, passwordFromFile: false, dryRun: false, address: "203.0.113.7", unit: "203.0.113.7",
                rangeMinUnits: 1),
            Scenario(
                name: "rolling windows, pop right, database 2 (SELECT), password from a file", mode: "rolling",
                pop: "right", database: 2, passwordFromFile: true, dryRun: false, address: "2001:db8::7",
                unit: "2001:db8::/64", rangeMinUnits: 1),
            Scenario(
                name: "fixed windows in buckets", mode: "fixed", pop: "left", database: 0, passwordFromFile: false,
                dryRun: false, address: "192.0.2.77", unit: "192.0.2.77", counters: "buckets"),
            Scenario(
                name: "dry run: PUBLISH only, no blocklist write", mode: "fixed", pop: "left", database: 0,
                passwordFromFile: false, dryRun: true, address: "198.51.100.23", unit: "198.51.100.23"),
        ]
    }

    @Test(
        .requires("redis-server", package: "redis-server"), .requires("redis-cli", package: "redis-tools"),
        .requiresBuiltExecutable, .timeLimit(.minutes(10)), arguments: Scenario.all)
    func workerBlocksAndUnblocksAsTheACLUserWithoutPermissionErrors(_ scenario: Scenario) async throws {
        let redisCLI = try ExternalTools.require("redis-cli", package: "redis-tools")
        let executable = try RepositoryLayout.requireBuiltExecutable()
        let (redis, password) = try await PrivateRedisServer.start(workerUserRules: { try RedisACLFile.rules(password: $0) })
        defer { redis.stop() }

        let scratch = try TemporaryDirectory("worker")
        defer { scratch.remove() }
        let configuration = try scratch.write(scenario.configuration, to: "ipwatcher.yaml")
        var environment = Subprocess.cleanEnvironment()
        let url: String
        if scenario.passwordFromFile {
            let passwordFile = try scratch.write(password + "\n", to: "redis-password", permissions: 0o600)
            environment["IPWATCHER_REDIS_PASSWORD_FILE"] = passwordFile.path
            url = "redis://ipwatcher@127.0.0.1:\(redis.port)/\(scenario.database)"
        } else {
            url = "redis://ipwatcher:\(password)@127.0.0.1:\(redis.port)/\(scenario.database)"
        }

        // Events, as a subscriber of the web tier would see them (channels are not per database).
        let subscriber = try BackgroundProcess(
            name: "subscriber", executable: redisCLI, arguments: redis.cliArguments(["SUBSCRIBE", "ipwatcher:events"]),
            logDirectory: scratch.url)
        defer { subscriber.stop(signal: SIGKILL, timeout: .seconds(5)) }
        let subscribed = try await eventually(within: .seconds(10), every: .milliseconds(100)) {
            subscriber.standardOutput.contains("ipwatcher:events")
        }
        try #require(subscribed, "redis-cli SUBSCRIBE did not confirm:\n\(subscriber.standardError)")

        let worker = try BackgroundProcess(
            name: "ipwatcher", executable: executable.path,
            arguments: ["run", "--config", configuration.path, "--redis-url", url], environment: environment,
            logDirectory: scratch.url)
        defer { worker.stop(signal: SIGKILL, timeout: .seconds(5)) }
        let consuming = try await eventually(within: .seconds(20), every: .milliseconds(100)) {
            !worker.isRunning || worker.standardError.contains("consuming")
        }
        try #require(consuming && worker.isRunning, "the worker did not start consuming:\n\(worker.standardError)")

        let hits = Array(repeating: scenario.address, count: 20)
        _ = try redis.run(["LPUSH", "ips"] + hits + ["not-an-address"], database: scenario.database)

        let blockEvent = "\"event\":\"block\",\"unit\":\"\(scenario.unit)\""
        /// Whether the subscriber saw an unblock event for the unit; parsed, since the expiry script's cjson orders
        /// keys as it likes and writes `/` as `\/`.
        func sawUnblockEvent() -> Bool {
            subscriber.standardOutput.split(whereSeparator: \.isNewline).contains { line in
                guard line.hasPrefix("{"),
                    let event = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                else { return false }
                return event["event"] as? String == "unblock" && event["unit"] as? String == scenario.unit
            }
        }
        func isMember() throws -> Bool {
            try redis.run(["SISMEMBER", "blocklist", scenario.unit], database: scenario.database) == "1"
        }
        if scenario.dryRun {
            let announced = try await eventually(within: .seconds(10), every: .milliseconds(100)) {
                subscriber.standardOutput.contains(blockEvent)
            }
            #expect(announced, "no block event:\n\(subscriber.standardOutput)\n\(worker.standardError)")
            #expect(subscriber.standardOutput.contains("\"dry_run\":true"))
            #expect(try redis.run(["SCARD", "blocklist"], database: scenario.database) == "0")
        } else {
            let blocked = try await eventually(within: .seconds(10), every: .milliseconds(100)) { try isMember() }
            #expect(blocked, "\(scenario.unit) never reached the blocklist:\n\(worker.standardError)")
            let counterKeys = try redis.run(["KEYS", "ipwatcher:*"], database: scenario.database)
            switch (scenario.mode, scenario.counters) {
            case ("fixed", "buckets"):
                #expect(counterKeys.contains("ipwatcher:buckets:") && !counterKeys.contains("ipwatcher:fixed:"), "\(counterKeys)")
            case ("fixed", _):
                #expect(counterKeys.contains("ipwatcher:fixed:") && !counterKeys.contains("ipwatcher:buckets:"), "\(counterKeys)")
            default:
                break
            }
            // ban_seconds: 1, and the expiry script runs every 250 ms.
            let unblocked = try await eventually(within: .seconds(10), every: .milliseconds(100)) { try !isMember() }
            #expect(unblocked, "the ban of \(scenario.unit) did not end:\n\(worker.standardError)")
            let announced = try await eventually(within: .seconds(5), every: .milliseconds(100)) {
                subscriber.standardOutput.contains(blockEvent) && sawUnblockEvent()
            }
            #expect(announced, "block and unblock events missing:\n\(subscriber.standardOutput)")
            if scenario.rangeMinUnits > 0 {
                let rangeBanned = try await eventually(within: .seconds(5), every: .milliseconds(100)) {
                    subscriber.standardOutput.contains("\"range\":true")
                }
                #expect(rangeBanned, "no range event:\n\(subscriber.standardOutput)")
                let lifted = try await eventually(within: .seconds(10), every: .milliseconds(100)) {
                    try redis.run(["SCARD", "blocklist:ranges"], database: scenario.database) == "0"
                }
                #expect(lifted, "the range ban did not end:\n\(worker.standardError)")
            }
        }
        // What `systemctl reload ipwatcher` does (ExecReload=/bin/kill -HUP $MAINPID).
        worker.send(SIGHUP)
        let reloaded = try await eventually(within: .seconds(10), every: .milliseconds(100)) {
            worker.standardError.contains("configuration reloaded")
        }
        #expect(reloaded, "no reload after SIGHUP:\n\(worker.standardError)")
        #expect(worker.isRunning, "SIGHUP ended the worker")

        let rejectedKept = try await eventually(within: .seconds(5), every: .milliseconds(100)) {
            try redis.run(["LRANGE", "ipwatcher:rejected", "0", "-1"], database: scenario.database)
                .contains("not-an-address")
        }
        #expect(rejectedKept, "the rejected entry was not kept (LPUSH/LTRIM):\n\(worker.standardError)")

        let (ending, endedInTime) = worker.stop(signal: SIGTERM, timeout: .seconds(15))
        #expect(endedInTime, "the worker ignored SIGTERM for 15 s")
        #expect(ending.exited && ending.status == 0, "exit \(ending.status) after SIGTERM:\n\(ending.standardError)")

        let log = ending.standardError
        for line in log.split(separator: "\n") {
            #expect(!line.contains("NOPERM") && !line.contains("no permissions"), "permission error: \(line)")
            let level = line.split(separator: " ").dropFirst().first
            #expect(level != "error" && level != "critical", "worker logged: \(line)")
        }
        #expect(try redis.run(["ACL", "LOG"]) == "", "Redis denied something to the ACL user")
    }

    @Test(.requires("redis-server", package: "redis-server"), .requires("redis-cli", package: "redis-tools"))
    func aclUserMayRunWhatTheWorkerNeedsAndLittleElse() async throws {
        let redis = try await PrivateRedisServer.start()
        defer { redis.stop() }

        // The server included deploy/redis-acl.conf as it is, placeholder password and all.
        let included = try redis.run(["ACL", "GETUSER", "ipwatcher"])
        #expect(included.contains("+blmove"), "the included file did not define the user:\n\(included)")

        let password = try redis.addWorkerUser(rules: { try RedisACLFile.rules(password: $0) })
        let user = (name: "ipwatcher", password: password)
        let oldPassword = try redis.run(["AUTH", "ipwatcher", "CHANGE_ME"])
        #expect(oldPassword.hasPrefix("WRONGPASS"), "`reset` should drop the old password: \(oldPassword)")

        #expect(try redis.run(["PING"], user: user) == "PONG")
        #expect(try redis.run(["LPUSH", "ipwatcher:probe", "x"], user: user) == "1")
        #expect(try redis.run(["INCRBY", "ipwatcher:fixed:60:1:203.0.113.7", "3"], user: user) == "3")
        #expect(try redis.run(["SET", "ipwatcher:rolling:60:203.0.113.7", "x"], user: user) == "OK", "its selector")
        #expect(try redis.run(["SELECT", "2"], user: user) == "OK")

        let denied: [[String]] = [
            ["GETSET", "ipwatcher:probe", "x"],
            ["SET", "ips", "x"],
            ["SMEMBERS", "blocklist"],
            ["DEL", "blocklist"],
            ["KEYS", "*"],
            ["FLUSHALL"],
            ["CONFIG", "GET", "*"],
            ["EVAL", "return 1", "0"],
            ["SCRIPT", "FLUSH"],
            ["LPUSH", "sessions", "x"],
            ["PUBLISH", "other-channel", "x"],
            ["SUBSCRIBE", "ipwatcher:events"],
            ["CLIENT", "KILL", "TYPE", "normal"],
            ["ACL", "LIST"],
        ]
        try redis.expectDenied(denied, to: user, label: "user")
    }

    /// The unit runs the worker as a dynamic user with no capabilities; this runs it the same way (setpriv to
    /// `nobody`, empty bounding set, no_new_privs) and expects it to reach Redis over TCP and block an address.
    @Test(
        .enabled(
            if: ExternalTools.runningAsRoot && ExternalTools.path("setpriv") != nil,
            "needs root and setpriv to drop privileges as the unit does"),
        .requires("redis-server", package: "redis-server"), .requires("redis-cli", package: "redis-tools"),
        .requiresBuiltExecutable, .timeLimit(.minutes(10)))
    func workerReachesRedisOverTCPWithoutAnyPrivilege() async throws {
        let setpriv = try #require(ExternalTools.path("setpriv"))
        let built = try RepositoryLayout.requireBuiltExecutable()
        let (redis, password) = try await PrivateRedisServer.start(workerUserRules: { try RedisACLFile.rules(password: $0) })
        defer { redis.stop() }

        // A copy in a world-readable directory: the unprivileged user may not be able to reach the build tree.
        let scratch = try TemporaryDirectory("unprivileged")
        defer { scratch.remove() }
        let executable = try scratch.copyExecutable(built, to: "ipwatcher")
        let configuration = try scratch.write(
            "queue:\n  block_timeout: 0.2\nblocklist:\n  ban_seconds: 60\n", to: "ipwatcher.yaml")

        let worker = try BackgroundProcess(
            name: "ipwatcher", executable: setpriv,
            arguments: [
                "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all",
                "--no-new-privs", "--", executable.path, "run", "--config", configuration.path,
                "--redis-url", "redis://ipwatcher:\(password)@127.0.0.1:\(redis.port)",
            ],
            environment: Subprocess.cleanEnvironment(), logDirectory: scratch.url)
        defer { worker.stop(signal: SIGKILL, timeout: .seconds(5)) }
        let consuming = try await eventually(within: .seconds(15), every: .milliseconds(100)) {
            !worker.isRunning || worker.standardError.contains("consuming")
        }
        let logEnd = worker.standardError.split(separator: "\n").suffix(4).joined(separator: "\n")
        try #require(
            consuming && worker.isRunning, "the worker, unprivileged, never started consuming; its log ends:\n\(logEnd)")

        _ = try redis.run(["LPUSH", "ips"] + Array(repeating: "192.0.2.44", count: 20))
        let blocked = try await eventually(within: .seconds(10), every: .milliseconds(100)) {
            try redis.run(["SISMEMBER", "blocklist", "192.0.2.44"]) == "1"
        }
        #expect(blocked, "\(worker.standardError)")
        let (ending, endedInTime) = worker.stop(signal: SIGTERM, timeout: .seconds(15))
        #expect(endedInTime && ending.exited && ending.status == 0, "\(ending.standardError)")
    }
}
