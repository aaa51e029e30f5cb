import Foundation
import Logging
import RedisClient
import Testing

@testable import IPWatcherDaemon

/// Loads with the given sources; the file, when given, counts as named by `--config`.
func loadConfiguration(
    file: String? = nil, fileIsExplicit: Bool = true, environment: [String: String] = [:],
    overrides: [String: String] = [:]
) async throws(ConfigurationError) -> IPWatcherConfiguration {
    try await IPWatcherConfiguration.load(
        file: file, fileIsExplicit: fileIsExplicit, environment: environment, overrides: overrides)
}

/// The error loading fails with, or nil if it succeeds.
func loadingError(
    file: String? = nil, fileIsExplicit: Bool = true, environment: [String: String] = [:],
    overrides: [String: String] = [:]
) async -> ConfigurationError? {
    do {
        _ = try await loadConfiguration(
            file: file, fileIsExplicit: fileIsExplicit, environment: environment, overrides: overrides)
        return nil
    } catch {
        return error
    }
}

/// A fresh directory under the system's temporary directory, removed when `body` returns.
func withTemporaryDirectory(_ body: (String) async throws -> Void) async throws {
    let path = NSTemporaryDirectory() + "/ipwatcher-config-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    try await body(path)
}

/// Writes `text` to `path` with the permission bits `mode`, returning the path.
@discardableResult
func writeFile(_ text: String, to path: String, mode: Int = 0o600) throws -> String {
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    return path
}

/// `config/ipwatcher.yaml` of this repository.
let sampleConfigurationPath = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("config/ipwatcher.yaml").path

@Suite("IPWatcherConfiguration: defaults, layering and the sample file")
struct IPWatcherConfigurationTests {
    @Test("defaults are the documented values")
    func defaultsAreDocumented() {
        let defaults = IPWatcherConfiguration.defaults
        #expect(defaults.redis.url == "redis://127.0.0.1:6379")
        #expect(defaults.redis.passwordFile == nil)
        #expect(defaults.redis.password == nil)
        #expect(defaults.redis.clientName == "ipwatcher")
        #expect(defaults.redis.connectTimeout == .seconds(5))
        #expect(defaults.redis.commandTimeout == .seconds(5))
        #expect(defaults.redis.tls == IPWatcherConfiguration.Redis.TLS())
        #expect(defaults.redis.tls.verify == .full)
        #expect(defaults.queue.key == "ips")
        #expect(defaults.queue.pop == .left)
        #expect(defaults.queue.batch == 10_000)
        #expect(defaults.queue.blockTimeout == .seconds(1))
        #expect(defaults.queue.rejectedKey == nil)
        #expect(defaults.queue.rejectedMax == 10000)
        #expect(defaults.detection.mode == .fixed)
        #expect(defaults.detection.threshold == 15)
        #expect(defaults.detection.window == 60)
        #expect(defaults.detection.ipv4Prefix == 32)
        #expect(defaults.detection.ipv6Prefix == 64)
        #expect(defaults.detection.allowlist == ["127.0.0.0/8", "::1/128"])
        #expect(defaults.detection.dryRun == false)
        #expect(defaults.detection.keyPrefix == "ipwatcher:")
        #expect(defaults.detection.counters == .keys)
        #expect(defaults.detection.buckets == 16384)
        #expect(defaults.blocklist.key == "blocklist")
        #expect(defaults.blocklist.banSeconds == 3600)
        #expect(defaults.blocklist.eventsChannel == "ipwatcher:events")
        #expect(defaults.log.level == .info)
        #expect(defaults.passwordSource == nil)
        #expect(IPWatcherConfiguration.defaultFilePath == "/etc/ipwatcher/ipwatcher.yaml")
    }

    @Test("nothing set loads the defaults")
    func nothingSetLoadsDefaults() async throws {
        #expect(try await loadConfiguration() == .defaults)
        #expect(try await loadConfiguration(environment: ["PATH": "/usr/bin", "HOME": "/root"]) == .defaults)
    }

    @Test("the sample config/ipwatcher.yaml loads and equals the defaults exactly")
    func sampleFileEqualsDefaults() async throws {
        #expect(FileManager.default.fileExists(atPath: sampleConfigurationPath))
        let loaded = try await loadConfiguration(file: sampleConfigurationPath)
        #expect(loaded == .defaults)
    }

    @Test("the sample file lists every key")
    func sampleFileListsEveryKey() throws {
        let text = try String(contentsOfFile: sampleConfigurationPath, encoding: .utf8)
        for key in IPWatcherConfiguration.keyNames {
            let leaf = key.split(separator: ".").last.map(String.init) ?? key
            #expect(text.contains("\n" + String(repeating: "  ", count: key.split(separator: ".").count - 1) + leaf + ":"), "\(key)")
        }
    }

    @Test("a missing default file is fine; a missing explicit file is an error")
    func missingFiles() async throws {
        let path = "/nonexistent/ipwatcher-\(UUID().uuidString).yaml"
        #expect(try await loadConfiguration(file: path, fileIsExplicit: false) == .defaults)
        let error = try #require(await loadingError(file: path, fileIsExplicit: true))
        #expect(error.description == "config file \"\(path)\" does not exist")
        #expect(error.key == "")
    }

    @Test("an empty, comment-only or empty-section file sets nothing")
    func emptyFiles() async throws {
        try await withTemporaryDirectory { directory in
            for text in ["", "# nothing\n", "redis:\nqueue:\n  # key: other\n"] {
                let path = try writeFile(text, to: directory + "/c.yaml")
                #expect(try await loadConfiguration(file: path) == .defaults, "\(text)")
            }
        }
    }

    @Test("overrides beat the environment, which beats the file, which beats the defaults")
    func precedence() async throws {
        try await withTemporaryDirectory { directory in
            let path = try writeFile(
                """
                redis:
                  url: redis://file-host:6379
                  connect_timeout: 2.5
                queue:
                  rejected_key: file-rejected
                  batch: 10
                detection:
                  threshold: 20
                  dry_run: true
                log:
                  level: debug
                """, to: directory + "/c.yaml")
            let environment = [
                "IPWATCHER_REDIS_URL": "redis://env-host:6379",
                "IPWATCHER_QUEUE_REJECTED_KEY": "env-rejected",
                "IPWATCHER_DETECTION_THRESHOLD": "30",
                "IPWATCHER_LOG_LEVEL": "warning",
            ]
            let overrides = ["redis.url": "redis://flag-host:6379", "detection.threshold": "40"]

            let fileOnly = try await loadConfiguration(file: path)
            #expect(fileOnly.redis.url == "redis://file-host:6379")
            #expect(fileOnly.redis.connectTimeout == .milliseconds(2500))
            #expect(fileOnly.queue.rejectedKey == "file-rejected")
            #expect(fileOnly.queue.batch == 10)
            #expect(fileOnly.detection.threshold == 20)
            #expect(fileOnly.detection.dryRun == true)
            #expect(fileOnly.log.level == .debug)
            #expect(fileOnly.queue.key == "ips")  // unset everywhere: default

            let withEnvironment = try await loadConfiguration(file: path, environment: environment)
            #expect(withEnvironment.redis.url == "redis://env-host:6379")
            #expect(withEnvironment.queue.rejectedKey == "env-rejected")
            #expect(withEnvironment.detection.threshold == 30)
            #expect(withEnvironment.log.level == .warning)
            #expect(withEnvironment.queue.batch == 10)  // not in the environment: the file's
            #expect(withEnvironment.detection.dryRun == true)

            let withOverrides = try await loadConfiguration(
                file: path, environment: environment, overrides: overrides)
            #expect(withOverrides.redis.url == "redis://flag-host:6379")
            #expect(withOverrides.detection.threshold == 40)
            #expect(withOverrides.queue.rejectedKey == "env-rejected")  // not overridden: the environment's
            #expect(withOverrides.log.level == .warning)

            let overriddenBack = try await loadConfiguration(
                file: path, environment: environment, overrides: ["detection.dry_run": "false", "queue.rejected_key": ""])
            #expect(overriddenBack.detection.dryRun == false)
            #expect(overriddenBack.queue.rejectedKey == nil)  // empty means none, even over a file value
        }
    }

    /// A valid value that differs from the default for every key, with whatever else it needs to be valid.
    static let nonDefaultValues: [(key: String, value: String, environment: [String: String])] = [
        ("redis.url", "redis://10.0.0.1:6380/2", [:]),
        ("redis.password_file", sampleConfigurationPath, [:]),
        ("redis.client_name", "other", [:]),
        ("redis.connect_timeout", "0.5", [:]),
        ("redis.command_timeout", "10", [:]),
        ("redis.max_bulk_bytes", "65536", [:]),
        ("redis.cluster", "true", [:]),
        ("redis.scripts", "functions", [:]),
        ("redis.tls.ca_file", sampleConfigurationPath, ["IPWATCHER_REDIS_URL": "rediss://h:6380"]),
        ("redis.tls.cert_file", sampleConfigurationPath, ["IPWATCHER_REDIS_URL": "rediss://h:6380?cert=/c.pem&key=/k.pem"]),
        ("redis.tls.key_file", sampleConfigurationPath, ["IPWATCHER_REDIS_URL": "rediss://h:6380?cert=/c.pem&key=/k.pem"]),
        ("redis.tls.server_name", "redis.internal", ["IPWATCHER_REDIS_URL": "rediss://h:6380"]),
        ("redis.tls.verify", "no-hostname", ["IPWATCHER_REDIS_URL": "rediss://h:6380"]),
        ("queue.key", "other", [:]),
        ("queue.pop", "right", [:]),
        ("queue.batch", "100000", [:]),
        ("queue.block_timeout", "0.01", [:]),
        ("queue.rejected_key", "rejected", [:]),
        ("queue.rejected_max", "1", [:]),
        ("queue.delivery", "at-most-once", [:]),
        ("queue.worker_id", "web-1", [:]),
        ("queue.shards", "8", [:]),
        ("queue.lease", "0", [:]),
        ("detection.mode", "rolling", [:]),
        ("detection.threshold", "1", [:]),
        ("detection.window", "86400", [:]),
        ("detection.ipv4_prefix", "0", [:]),
        ("detection.ipv6_prefix", "128", [:]),
        ("detection.allowlist", "10.0.0.0/8", [:]),
        ("detection.dry_run", "yes", [:]),
        ("detection.rules", "burst:10/2, hourly:300/3600:rolling:dry_run:ban=60", [:]),
        ("detection.near_limit", "0.5", [:]),
        ("detection.key_prefix", "iw:", [:]),
        ("detection.counters", "buckets", [:]),
        ("detection.buckets", "512", [:]),
        ("blocklist.key", "other", [:]),
        ("blocklist.ban_seconds", "0", [:]),
        ("blocklist.events_channel", "", [:]),
        ("blocklist.escalation.factor", "2.5", [:]),
        ("blocklist.escalation.max_seconds", "86400", [:]),
        ("blocklist.escalation.memory_seconds", "3600", [:]),
        ("blocklist.escalation.jitter", "0.1", [:]),
        ("blocklist.ranges.ipv4_prefix", "16", [:]),
        ("blocklist.ranges.ipv6_prefix", "40", [:]),
        ("blocklist.ranges.min_units", "4", [:]),
        ("blocklist.ranges.key", "banned-ranges", [:]),
        ("metrics.listen", "[::1]:9100", [:]),
        ("metrics.max_connections", "8", [:]),
        ("log.level", "trace", [:]),
        ("log.format", "json", [:]),
    ]

    @Test("every key is read from its environment variable and from an override")
    func everyKeyHasEnvironmentVariableAndOverride() async throws {
        #expect(Self.nonDefaultValues.map(\.key) == IPWatcherConfiguration.keyNames)
        for (key, value, extra) in Self.nonDefaultValues {
            let name = IPWatcherConfiguration.environmentVariableName(forKey: key)
            let fromEnvironment = try await loadConfiguration(environment: extra.merging([name: value]) { $1 })
            let baseline = try await loadConfiguration(environment: extra)
            #expect(fromEnvironment != baseline, "\(name)")
            let fromOverride = try await loadConfiguration(environment: extra, overrides: [key: value])
            #expect(fromOverride == fromEnvironment, "\(key)")
        }
    }

    @Test("environment variable names follow IPWATCHER_<SECTION>_<KEY>")
    func environmentVariableNames() {
        let names = IPWatcherConfiguration.environmentVariableNames()
        #expect(names.count == IPWatcherConfiguration.keyNames.count + 1)
        #expect(Set(names).count == names.count)
        for name in [
            "IPWATCHER_REDIS_URL", "IPWATCHER_REDIS_PASSWORD", "IPWATCHER_REDIS_PASSWORD_FILE",
            "IPWATCHER_REDIS_TLS_CA_FILE", "IPWATCHER_QUEUE_REJECTED_KEY", "IPWATCHER_DETECTION_THRESHOLD",
            "IPWATCHER_DETECTION_DRY_RUN", "IPWATCHER_LOG_LEVEL",
        ] {
            #expect(names.contains(name), "\(name)")
        }
        let unknown = IPWatcherConfiguration.unknownEnvironmentVariables(in: [
            "IPWATCHER_QUEUE_BATCHSIZE": "5", "IPWATCHER_QUEUE_BATCH": "5", "IPWATCHER_REDIS_PASSWORD": "x",
            "HOME": "/root",
        ])
        #expect(unknown == ["IPWATCHER_QUEUE_BATCHSIZE"])
    }

    @Test("the allowlist: comma-separated in the environment and overrides, a list or a string in the file")
    func allowlistForms() async throws {
        let fromEnvironment = try await loadConfiguration(environment: [
            "IPWATCHER_DETECTION_ALLOWLIST": " 10.0.0.0/8, 2001:db8::/32 ,192.0.2.7,"
        ])
        #expect(fromEnvironment.detection.allowlist == ["10.0.0.0/8", "2001:db8::/32", "192.0.2.7"])
        let emptied = try await loadConfiguration(environment: ["IPWATCHER_DETECTION_ALLOWLIST": ""])
        #expect(emptied.detection.allowlist == [])
        let fromOverride = try await loadConfiguration(overrides: ["detection.allowlist": "::1/128,127.0.0.1"])
        #expect(fromOverride.detection.allowlist == ["::1/128", "127.0.0.1"])
        try await withTemporaryDirectory { directory in
            let block = try writeFile(
                "detection:\n  allowlist:\n    - 10.0.0.0/8\n    - fe80::/10\n", to: directory + "/a.yaml")
            #expect(try await loadConfiguration(file: block).detection.allowlist == ["10.0.0.0/8", "fe80::/10"])
            let text = try writeFile("detection:\n  allowlist: 10.0.0.0/8, fe80::/10\n", to: directory + "/b.yaml")
            #expect(try await loadConfiguration(file: text).detection.allowlist == ["10.0.0.0/8", "fe80::/10"])
            let empty = try writeFile("detection:\n  allowlist: []\n", to: directory + "/c.yaml")
            #expect(try await loadConfiguration(file: empty).detection.allowlist == [])
            // The environment replaces the file's list as a whole.
            let layered = try await loadConfiguration(
                file: block, environment: ["IPWATCHER_DETECTION_ALLOWLIST": "192.0.2.0/24"])
            #expect(layered.detection.allowlist == ["192.0.2.0/24"])
        }
    }

    @Test(
        "log.level takes every swift-log level, in any case",
        arguments: [
            ("trace", Logger.Level.trace), ("debug", .debug), ("info", .info), ("notice", .notice),
            ("warning", .warning), ("error", .error), ("critical", .critical), ("DEBUG", .debug), (" Error ", .error),
        ])
    func logLevels(text: String, level: Logger.Level) async throws {
        #expect(try await loadConfiguration(environment: ["IPWATCHER_LOG_LEVEL": text]).log.level == level)
        #expect(try await loadConfiguration(overrides: ["log.level": text]).log.level == level)
    }

    @Test("an invalid log.level names the choices")
    func invalidLogLevel() async throws {
        let error = try #require(await loadingError(overrides: ["log.level": "verbose"]))
        #expect(error.key == "log.level")
        #expect(
            error.description
                == #"log.level: "verbose" is not one of trace, debug, info, notice, warning, error, critical"#)
    }

    @Test("durations take decimal seconds and keep them to the nanosecond")
    func durations() async throws {
        let loaded = try await loadConfiguration(overrides: [
            "redis.connect_timeout": "0.1", "redis.command_timeout": "30", "queue.block_timeout": "0.25",
        ])
        #expect(loaded.redis.connectTimeout == .milliseconds(100))
        #expect(loaded.redis.commandTimeout == .seconds(30))
        #expect(loaded.queue.blockTimeout == .milliseconds(250))
    }

    @Test("detection.counters and detection.buckets choose the worker's counter layout, from the file, the environment or an override")
    func counterLayout() async throws {
        #expect(WorkerSettings(configuration: .defaults).detection.counters == .keys)
        #expect(WorkerSettings().detection.counters == .keys)
        try await withTemporaryDirectory { directory in
            let path = try writeFile("detection:\n  counters: buckets\n  buckets: 512\n", to: directory + "/c.yaml")
            let loaded = try await loadConfiguration(file: path)
            #expect(loaded.detection.counters == .buckets && loaded.detection.buckets == 512)
            #expect(WorkerSettings(configuration: loaded).detection.counters == .buckets(count: 512))

            // The environment and overrides beat the file as for every key.
            let fromEnvironment = try await loadConfiguration(
                file: path, environment: ["IPWATCHER_DETECTION_COUNTERS": "keys", "IPWATCHER_DETECTION_BUCKETS": "64"])
            #expect(fromEnvironment.detection.counters == .keys && fromEnvironment.detection.buckets == 64)
            #expect(WorkerSettings(configuration: fromEnvironment).detection.counters == .keys, "buckets is ignored with keys")
            let overridden = try await loadConfiguration(
                file: path, environment: ["IPWATCHER_DETECTION_COUNTERS": "keys"], overrides: ["detection.counters": "buckets"])
            #expect(WorkerSettings(configuration: overridden).detection.counters == .buckets(count: 512))

            // Without detection.buckets the default count applies.
            let defaultCount = try await loadConfiguration(environment: ["IPWATCHER_DETECTION_COUNTERS": "buckets"])
            #expect(WorkerSettings(configuration: defaultCount).detection.counters == .buckets(count: 16384))
            let one = try await loadConfiguration(overrides: ["detection.counters": "buckets", "detection.buckets": "1"])
            #expect(WorkerSettings(configuration: one).detection.counters == .buckets(count: 1))
            let most = try await loadConfiguration(overrides: ["detection.counters": "buckets", "detection.buckets": "1048576"])
            #expect(WorkerSettings(configuration: most).detection.counters == .buckets(count: 1_048_576))

            // Both keys survive rendering, as check-config and the reload's report show them.
            let rendered = loaded.renderedYAML()
            #expect(rendered.contains("\n  counters: buckets\n  buckets: 512\n"), "\(rendered)")
            let reloaded = try await loadConfiguration(file: try writeFile(rendered, to: directory + "/r.yaml"))
            #expect(reloaded == loaded)
        }
    }

    @Test("renderedYAML loads back into an equal configuration")
    func renderedYAMLRoundTrips() async throws {
        var configuration = IPWatcherConfiguration.defaults
        configuration.redis.url = "rediss://user@redis.example:6380/3?sni=redis.internal"
        configuration.redis.clientName = nil
        configuration.redis.connectTimeout = .milliseconds(1500)
        configuration.redis.tls.serverName = "other.internal"
        configuration.redis.tls.verify = .noHostname
        configuration.queue.key = "yes"
        configuration.queue.pop = .right
        configuration.queue.blockTimeout = .milliseconds(10)
        configuration.queue.rejectedKey = "a: b # not a comment"
        configuration.detection.mode = .rolling
        configuration.detection.allowlist = []
        configuration.detection.keyPrefix = "\"quoted\"\\:"
        configuration.blocklist.key = "123"
        configuration.blocklist.eventsChannel = nil
        configuration.log.level = .critical
        configuration.log.format = .json
        try await withTemporaryDirectory { directory in
            for original in [IPWatcherConfiguration.defaults, configuration] {
                let rendered = original.renderedYAML()
                let path = try writeFile(rendered, to: directory + "/rendered.yaml")
                let loaded = try await loadConfiguration(file: path)
                #expect(loaded == original, "\(rendered)")
            }
        }
    }

    @Test("renderedYAML of the defaults lists every key in the sample's layout")
    func renderedDefaults() {
        let rendered = IPWatcherConfiguration.defaults.renderedYAML()
        #expect(rendered.contains("redis:\n  url: redis://127.0.0.1:6379\n"))
        #expect(rendered.contains("  tls:\n    ca_file: \"\"\n"))
        #expect(rendered.contains("\n    verify: full\nqueue:\n  key: ips\n"))
        #expect(rendered.contains("  allowlist: [\"127.0.0.0/8\", \"::1/128\"]\n"))
        #expect(rendered.contains("  key_prefix: \"ipwatcher:\"\n"))
        #expect(rendered.contains("  events_channel: ipwatcher:events\n"))
        #expect(rendered.contains("# Redis password: none."))
        #expect(rendered.hasSuffix("log:\n  level: info\n  format: text\n"))
    }
}
