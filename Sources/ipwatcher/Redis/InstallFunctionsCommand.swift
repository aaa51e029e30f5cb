import ArgumentParser
import Foundation
import IPWatcherDaemon
import Logging
import RedisClient

/// `ipwatcher redis install-functions`: loads the worker's scripts as a Redis Functions library.
struct InstallFunctionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install-functions",
        abstract: "Load the worker's Lua scripts as Redis Functions (Redis >= 7.0), for redis.scripts: functions.",
        discussion: """
            Runs FUNCTION LOAD REPLACE with the library of this version of ipwatcher, on the server or on every \
            master of a Redis Cluster; running it again changes nothing. Libraries of other versions are left in \
            place, so workers of the old and the new version both run during an upgrade; remove an old one with \
            FUNCTION DELETE. Needs a user that may run FUNCTION LOAD (not the worker's). Exit status 2 when Redis \
            refuses, 78 when the configuration is invalid.
            """
    )

    @OptionGroup var options: ConfigurationOptions

    @ParentCommand var group: RedisCommand

    func run() async throws {
        let configuration = try await options.merging(group.connection).load()
        let (endpoint, clusterSeeds) = try ConfigurationOptions.redisTargets(of: configuration)
        var logger = Logger(label: "ipwatcher.redis")
        logger.logLevel = .error
        let library = IPWatcherFunctions.library
        let router = RedisRouter(
            endpoint: clusterSeeds?.first ?? endpoint, clusterSeeds: clusterSeeds,
            configuration: configuration.redisConnectionConfiguration, logger: logger)
        do {
            let nodes = try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await router.run() }
                defer { group.cancelAll() }
                return try await router.installFunctions(library).count
            }
            let target = router.isCluster ? "on \(nodes) masters" : "on \(endpoint)"
            print("installed function library \(library.libraryName) (\(library.functions.count + 1) functions) \(target)")
        } catch {
            FileHandle.standardError.write(Data("ipwatcher: install-functions: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }
}
