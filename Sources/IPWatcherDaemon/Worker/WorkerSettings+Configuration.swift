import Detection
import RESP
import RedisClient

extension WorkerSettings {
    /// The worker settings a loaded configuration describes.
    ///
    /// A loaded configuration is already validated, so an allowlist entry that still fails to parse (possible
    /// only for one assembled in code) is left out rather than trusted.
    public init(configuration: IPWatcherConfiguration) {
        self.init()
        queueKey = configuration.queue.key
        popSide = configuration.queue.pop
        batchSize = configuration.queue.batch
        blockTimeout = configuration.queue.blockTimeout
        rejectedKey = configuration.queue.rejectedKey
        rejectedMax = configuration.queue.rejectedMax
        delivery = configuration.queue.delivery
        workerID =
            configuration.queue.workerID
            ?? WorkerID.defaultID(queueKey: configuration.queue.key, keyPrefix: configuration.detection.keyPrefix)
        keys = KeySchema(prefix: configuration.detection.keyPrefix)
        blocklistKey = configuration.blocklist.key
        rangesKey = configuration.blocklist.rangesKey
        ranges = configuration.blocklist.ranges
        eventsChannel = configuration.blocklist.eventsChannel
        detection = DetectionSettings(configuration: configuration)
        metricsListen = configuration.metrics.listen
        metricsLimits.maxConnections = configuration.metrics.maxConnections
        queueShards = configuration.queue.shards
        clusterKeys = configuration.usesCluster
        scripts = configuration.redis.scripts
        lease = configuration.queue.lease > 0 ? .seconds(configuration.queue.lease) : nil
    }
}

extension DetectionSettings {
    /// The reloadable detection settings a loaded configuration describes.
    public init(configuration: IPWatcherConfiguration) {
        let section = configuration.detection
        let allowlist = section.allowlist.compactMap(IPNetwork.init)
        func rule(_ name: String, _ mode: IPWatcherConfiguration.DetectionMode, _ threshold: Int, _ window: Int,
                  dryRun: Bool, banSeconds: Int?) -> DetectionRule {
            DetectionRule(
                name: name, mode: DetectionRule.Mode(rawValue: mode.rawValue) ?? .fixed, threshold: threshold,
                windowSeconds: window, ipv4Prefix: section.ipv4Prefix, ipv6Prefix: section.ipv6Prefix,
                allowlist: allowlist, dryRun: dryRun, banSeconds: banSeconds)
        }
        let rules =
            section.rules.isEmpty
            ? [rule(DetectionRule.defaultName, section.mode, section.threshold, section.window, dryRun: section.dryRun,
                    banSeconds: nil)]
            : section.rules.map {
                rule($0.name, $0.mode, $0.threshold, $0.window, dryRun: $0.dryRun, banSeconds: $0.banSeconds)
            }
        self.init(
            rules: rules, banSeconds: configuration.blocklist.banSeconds, nearLimitRatio: section.nearLimit,
            escalation: configuration.blocklist.escalation,
            counters: section.counters == .buckets ? .buckets(count: section.buckets) : .keys)
    }
}

extension IPWatcherConfiguration {
    /// The worker settings this configuration describes.
    public var workerSettings: WorkerSettings { WorkerSettings(configuration: self) }

    /// Timeouts, client name and reply limits for the worker's Redis connections; refused credentials end the
    /// worker, since retrying cannot fix them.
    ///
    /// Reconnects back off to at most half a second, so the worker resumes within about that once Redis
    /// answers again; two attempts a second against an absent server are no load.
    public var redisConnectionConfiguration: RedisConnectionConfiguration {
        RedisConnectionConfiguration(
            connectTimeout: redis.connectTimeout,
            commandTimeout: redis.commandTimeout,
            clientName: redis.clientName,
            parserLimits: RESPParserLimits(maxBulkLength: redis.maxBulkBytes),
            backoff: RedisBackoff(maximum: .milliseconds(500)),
            fatalConnectErrorCodes: RedisConnectionConfiguration.authenticationErrorCodes)
    }
}
