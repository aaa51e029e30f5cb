import ArgumentParser
import Detection
import Foundation
import IPWatcherDaemon
import Logging
import RedisClient

/// What every `blocklist` subcommand needs: the configuration, a client and the unit rule.
struct BlocklistContext {
    let configuration: IPWatcherConfiguration
    let settings: WorkerSettings

    init(options: ConfigurationOptions) async throws {
        configuration = try await options.load()
        settings = configuration.workerSettings
    }

    /// Runs `body` with a connected store of units; a Redis failure ends the command with status 2 and a
    /// one-line message.
    func withStore<Result>(_ body: (any BlocklistOperations) async throws -> Result) async throws -> Result {
        try await withStores { try await body($0.units) }
    }

    /// Runs `body` with connected stores of units and, with range bans on, ranges; a Redis failure ends the
    /// command with status 2 and a one-line message.
    ///
    /// One server is reached over one connection, as before; a Redis Cluster (`redis.cluster`, or a
    /// `redis+cluster://` URL) through a router whose commands all go where the blocklist key lives, with the
    /// ban set and the ranges named in its slot (``WorkerSettings/bansKey``; configuration checks the ranges key).
    func withStores<Result>(_ body: (BlocklistStores) async throws -> Result) async throws -> Result {
        var logger = Logger(label: "ipwatcher.blocklist")
        logger.logLevel = .error
        let clusterSeeds: [RedisEndpoint]?
        do {
            clusterSeeds = try configuration.clusterSeeds
        } catch {
            FileHandle.standardError.write(Data("ipwatcher: \(error)\n".utf8))
            throw ExitCode(2)
        }
        if let clusterSeeds, let first = clusterSeeds.first {
            let router = RedisRouter(
                endpoint: first, clusterSeeds: clusterSeeds, configuration: configuration.redisConnectionConfiguration,
                logger: logger)
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await router.run() }
                defer { group.cancelAll() }
                let store = BlocklistStore(
                    router: router, blocklistKey: settings.blocklistKey, bansKey: settings.bansKey,
                    eventsChannel: settings.eventsChannel, banInfoKey: settings.banInfoKey)
                let ranges = BlocklistStore(
                    router: router, blocklistKey: settings.rangesKey, bansKey: settings.rangeBansKey,
                    eventsChannel: settings.eventsChannel, banInfoKey: settings.banInfoKey, announcesRanges: true)
                let stores = BlocklistStores(units: store, ranges: settings.ranges.isOn ? ranges : nil)
                return try await Self.reportingFailure { try await body(stores) }
            }
        }
        let connection: RedisConnection
        do {
            connection = try await RedisConnection.connect(
                to: try configuration.endpoint, configuration: configuration.redisConnectionConfiguration,
                logger: logger)
        } catch {
            FileHandle.standardError.write(Data("ipwatcher: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let store = BlocklistStore(
            client: connection, blocklistKey: settings.blocklistKey, bansKey: settings.bansKey,
            eventsChannel: settings.eventsChannel, banInfoKey: settings.banInfoKey)
        let ranges = BlocklistStore(
            client: connection, blocklistKey: settings.rangesKey, bansKey: settings.rangeBansKey,
            eventsChannel: settings.eventsChannel, banInfoKey: settings.banInfoKey, announcesRanges: true)
        let stores = BlocklistStores(units: store, ranges: settings.ranges.isOn ? ranges : nil)
        do {
            let result = try await Self.reportingFailure { try await body(stores) }
            await connection.close()
            return result
        } catch {
            await connection.close()
            throw error
        }
    }

    /// Runs `body`, turning any failure but an exit status into status 2 with a one-line message.
    private static func reportingFailure<Result>(_ body: () async throws -> Result) async throws -> Result {
        do {
            return try await body()
        } catch let error as ExitCode {
            throw error
        } catch {
            FileHandle.standardError.write(Data("ipwatcher: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }

    /// The unit for an address (or a unit name such as `2001:db8:1:2::/64`), as the worker would count it.
    func unit(for text: String) throws -> DetectionUnit {
        if let address = IPAddress(text) {
            return settings.detection.unitRule.unit(for: address)
        }
        if let network = IPNetwork(text) {
            return DetectionUnit(network: network)
        }
        FileHandle.standardError.write(Data("ipwatcher: \"\(text)\" is not an IPv4 or IPv6 address\n".utf8))
        throw ExitCode(2)
    }

    /// The range `text` names when range bans are on and it is a network of a range's length
    /// (`blocklist.ranges.ipv4_prefix` or `ipv6_prefix`), such as `203.0.113.0/24`; nil for anything else.
    func range(named text: String) -> IPNetwork? {
        guard settings.ranges.isOn, text.contains("/"), let network = IPNetwork(text),
              settings.ranges.isRange(network)
        else { return nil }
        return network
    }

    /// Where the worker counts `unit`'s ban towards its range, while range bans are on.
    func rangeUnitsKey(of unit: DetectionUnit) -> String? {
        settings.rangeName(of: unit, allowlist: []).map { settings.rangeUnitsKey(rangeName: $0) }
    }

    /// "59m 12s left", "permanent" or "expired".
    static func remaining(_ expiresAt: Int64?, now: Int64) -> String {
        guard let expiresAt else { return "permanent" }
        let seconds = (expiresAt - now + 999) / 1000
        guard seconds > 0 else { return "expired" }
        let (hours, minutes, rest) = (seconds / 3600, seconds % 3600 / 60, seconds % 60)
        if hours > 0 { return "\(hours)h \(minutes)m left" }
        if minutes > 0 { return "\(minutes)m \(rest)s left" }
        return "\(rest)s left"
    }
}
