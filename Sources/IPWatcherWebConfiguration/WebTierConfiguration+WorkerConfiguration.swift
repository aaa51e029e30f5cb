import Detection
import IPWatcherDaemon
import IPWatcherWeb
import RedisClient

extension WebTierConfiguration {
    /// The web tier's configuration read from the worker's own configuration file and `IPWATCHER_…` environment,
    /// by the worker's own loader: the same Redis URL and password, queue key and shards, blocklist key, ban index,
    /// events channel and unit prefixes, so the app and the worker cannot disagree about them.
    ///
    /// - Parameters:
    ///   - file: The worker's YAML file, or nil to read only the environment over the defaults.
    ///   - environment: Usually `ProcessInfo.processInfo.environment`; `IPWATCHER_…` variables override the file.
    ///   - redisURL: A Redis URL that replaces `redis.url` (a command-line flag, say).
    /// - Throws: ``IPWatcherDaemon/ConfigurationError``, a one-line message naming the key, for a file or value the
    ///   worker would refuse too, or when the configuration asks for what the web tier cannot do: a Redis Cluster
    ///   (the mirror reads one server) or no events channel (the mirror could only follow the blocklist by
    ///   reloading it).
    public static func load(
        workerConfigurationFile file: String?, environment: [String: String], redisURL: String? = nil
    ) async throws(ConfigurationError) -> WebTierConfiguration {
        let worker = try await IPWatcherConfiguration.load(
            file: file, fileIsExplicit: file != nil, environment: environment,
            overrides: redisURL.map { ["redis.url": $0] } ?? [:])
        return try WebTierConfiguration(worker: worker)
    }

    /// The web tier's side of a loaded worker configuration (see ``load(workerConfigurationFile:environment:redisURL:)``).
    public init(worker: IPWatcherConfiguration) throws(ConfigurationError) {
        guard !worker.usesCluster else {
            throw ConfigurationError(
                key: "redis.url",
                message: "the web tier's blocklist mirror reads one server; point it at the master that holds the blocklist key")
        }
        guard let eventsChannel = worker.blocklist.eventsChannel, !eventsChannel.isEmpty else {
            throw ConfigurationError(
                key: "blocklist.events_channel",
                message: "is off, but the web tier's blocklist mirror follows the blocklist through it; set a channel (default ipwatcher:events)")
        }
        self.init(endpoint: try worker.endpoint)
        mirror.blocklistKey = worker.blocklist.key
        mirror.bansKey = KeySchema(prefix: worker.detection.keyPrefix).bansKey
        mirror.eventsChannel = eventsChannel
        mirror.ipv4Prefix = worker.detection.ipv4Prefix
        mirror.ipv6Prefix = worker.detection.ipv6Prefix
        if worker.blocklist.ranges.isOn {
            mirror.ranges = .init(
                policy: worker.blocklist.ranges, key: worker.blocklist.rangesKey,
                bansKey: KeySchema(prefix: worker.detection.keyPrefix).rangeBansKey)
        }
        mirror.connection.connectTimeout = worker.redis.connectTimeout
        mirror.connection.commandTimeout = worker.redis.commandTimeout
        recorder.queue = QueueShards(baseKey: worker.queue.key, count: worker.queue.shards)
    }
}
