import ArgumentParser
import Foundation
import IPWatcherDaemon
import RedisClient

/// The options that locate and override the configuration, shared by `run` and `check-config`.
struct ConfigurationOptions: ParsableArguments {
    /// `--config`, `--redis-url` and `--blocklist`, which command groups also take before a subcommand's name.
    @OptionGroup var connection: ConnectionOptions

    @Option(help: "Queue list key (queue.key).")
    var queue: String?

    @Option(help: "fixed, sliding or rolling (detection.mode).")
    var mode: String?

    @Option(help: "Requests per window that make a bot (detection.threshold).")
    var threshold: String?

    @Option(help: "Window length in seconds (detection.window).")
    var window: String?

    @Flag(name: .customLong("dry-run"), help: "Detect, log and publish, but never write the blocklist (detection.dry_run).")
    var dryRun = false

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (log.level).")
    var logLevel: String?

    @Option(name: .customLong("log-format"), help: "text or json: one JSON object per line (log.format).")
    var logFormat: String?

    /// The configuration file given with `--config`.
    var config: String? {
        get { connection.config }
        set { connection.config = newValue }
    }

    /// The Redis URL given with `--redis-url`.
    var redisURL: String? {
        get { connection.redisURL }
        set { connection.redisURL = newValue }
    }

    /// The blocklist key given with `--blocklist`.
    var blocklist: String? {
        get { connection.blocklist }
        set { connection.blocklist = newValue }
    }

    /// The flags as dotted configuration keys, the highest-precedence layer.
    var overrides: [String: String] {
        var result: [String: String] = [:]
        result["redis.url"] = redisURL
        result["queue.key"] = queue
        result["blocklist.key"] = blocklist
        result["detection.mode"] = mode
        result["detection.threshold"] = threshold
        result["detection.window"] = window
        if dryRun { result["detection.dry_run"] = "true" }
        result["log.level"] = logLevel
        result["log.format"] = logFormat
        return result
    }

    /// The file to read: the one given, or the default path if it exists.
    var filePath: String? {
        if let config { return config }
        let fallback = IPWatcherConfiguration.defaultFilePath
        return FileManager.default.fileExists(atPath: fallback) ? fallback : nil
    }

    /// Loads file, environment and flags; a bad value ends the process with status 78 and one line naming the key.
    func load() async throws -> IPWatcherConfiguration {
        do {
            return try await IPWatcherConfiguration.load(
                file: filePath, fileIsExplicit: config != nil,
                environment: ProcessInfo.processInfo.environment, overrides: overrides)
        } catch {
            FileHandle.standardError.write(Data("ipwatcher: configuration: \(error)\n".utf8))
            throw ExitCode(78)
        }
    }

    /// Where `configuration` says Redis is: its endpoint, and the cluster's seeds when it names a cluster; a
    /// URL that does not parse ends the process with status 78 and one line, as a bad value does in ``load()``.
    static func redisTargets(
        of configuration: IPWatcherConfiguration
    ) throws -> (endpoint: RedisEndpoint, clusterSeeds: [RedisEndpoint]?) {
        do {
            return (try configuration.endpoint, try configuration.clusterSeeds)
        } catch {
            FileHandle.standardError.write(Data("ipwatcher: configuration: \(error)\n".utf8))
            throw ExitCode(78)
        }
    }
}
