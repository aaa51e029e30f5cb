import ArgumentParser
import Foundation
import IPWatcherDaemon
import Logging
import RedisClient
import SystemdNotify

/// `ipwatcher run`: the worker, as systemd runs it.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Pop addresses from the queue, count them per window, and blocklist the ones that flood.",
        discussion: """
            Exit status: 0 after SIGTERM/SIGINT, 78 when the configuration is invalid or Redis refuses the \
            credentials (restarting cannot fix either), 1 on any other failure.
            """
    )

    @OptionGroup var options: ConfigurationOptions

    func run() async throws {
        let configuration = try await options.load()
        LoggingSetup.bootstrap(level: configuration.log.level, format: configuration.log.format)
        let logger = Logger(label: "ipwatcher")
        for warning in configuration.warnings(filePath: options.filePath) {
            logger.warning("\(warning)")
        }
        if CommandLinePasswordScrubber.scrubbedArgumentCount > 0 {
            logger.warning("\(CommandLinePasswordScrubber.warning)")
        }
        // A soft limit of 1,024 (the default outside the unit's LimitNOFILE=) is what a flood of metrics
        // connections exhausted, leaving no descriptor to reconnect to Redis.
        do {
            let (before, after) = try DescriptorLimit.raiseSoftLimitToHard()
            if before == after {
                logger.debug("open-file limit \(after)")
            } else {
                logger.info("raised the open-file limit from \(before.soft) to \(after.soft)")
            }
        } catch {
            logger.warning("\(error)")
        }
        let (endpoint, clusterSeeds) = try ConfigurationOptions.redisTargets(of: configuration)
        let options = self.options
        let worker = IPWatcherWorker(
            endpoint: endpoint, clusterSeeds: clusterSeeds, settings: configuration.workerSettings,
            redisConfiguration: configuration.redisConnectionConfiguration, logger: logger,
            workerTag: WorkerIdentity.tag, build: BuildInfo(version: Version.number, commit: Version.commit)
        ) {
            try await options.load().workerSettings.detection
        }
        do {
            try await worker.run()
        } catch let error as MetricsServerError {
            // A taken port is not a configuration error: the port may be free again at the next restart.
            FileHandle.standardError.write(Data("ipwatcher: \(error)\n".utf8))
            throw ExitCode.failure
        } catch let error as RedisFunctionsMissingError {
            // Restarting cannot load the functions: status 78, which the systemd unit does not restart.
            FileHandle.standardError.write(Data("ipwatcher: \(error)\n".utf8))
            throw ExitCode(78)
        } catch let error as RedisError {
            logger.critical("\(error)")
            if let code = error.serverErrorCode, RedisConnectionConfiguration.authenticationErrorCodes.contains(code) {
                throw ExitCode(78)
            }
            throw ExitCode.failure
        }
    }
}
