import Logging
import RedisClient
import ServiceLifecycle
import SystemdNotify
import UnixSignals

/// The whole worker: Redis clients, consumer, ban expiry, systemd status and reload, run as one
/// `ServiceGroup` that shuts down gracefully on SIGTERM or SIGINT.
///
/// Shutdown runs in reverse order of start: systemd hears `STOPPING=1` first, the consumer finishes its batch,
/// and the Redis connections close last.
public struct IPWatcherWorker: Sendable {
    /// Where Redis is; for a cluster, the first seed node.
    public let endpoint: RedisEndpoint
    /// The seed nodes of a Redis Cluster; nil for a single server.
    public let clusterSeeds: [RedisEndpoint]?
    /// The worker's settings as started.
    public let settings: WorkerSettings
    /// The detection settings in force; ``ReloadService`` replaces them.
    public let live: LiveDetectionSettings
    /// Running totals.
    public let statistics: WorkerStatistics
    /// The Prometheus metrics served on ``WorkerSettings/metricsListen``; nil when that is off.
    public let metrics: WorkerMetrics?
    /// The port `/metrics` is served on once the server listens (useful with port 0).
    public let metricsPort = ListeningPort()
    private let redisConfiguration: RedisConnectionConfiguration
    private let notifier: SystemdNotifier
    private let logger: Logger
    private let reload: (@Sendable () async throws -> DetectionSettings)?
    private let workerTag: String
    private let shutdownSignals: [UnixSignal]

    /// Creates a worker.
    ///
    /// `reload` reads the configuration again on `SIGHUP`; nil ignores the signal. `shutdownSignals` start a
    /// graceful shutdown; pass none when the caller manages shutdown through task cancellation. `build` is what
    /// `ipwatcher_build_info` reports.
    public init(
        endpoint: RedisEndpoint, clusterSeeds: [RedisEndpoint]? = nil, settings: WorkerSettings, redisConfiguration: RedisConnectionConfiguration,
        logger: Logger, notifier: SystemdNotifier = SystemdNotifier(), workerTag: String,
        shutdownSignals: [UnixSignal] = [.sigterm, .sigint], build: BuildInfo = .unknown,
        reload: (@Sendable () async throws -> DetectionSettings)? = nil
    ) {
        self.endpoint = endpoint
        self.clusterSeeds = clusterSeeds
        var settings = settings
        // Keys must fit a cluster whenever the worker talks to one, whatever the caller's settings say.
        if let clusterSeeds, !clusterSeeds.isEmpty { settings.clusterKeys = true }
        self.settings = settings
        self.live = LiveDetectionSettings(settings.detection)
        let metrics = settings.metricsListen.map { _ in WorkerMetrics(queueKeys: settings.shards.keys, build: build) }
        self.metrics = metrics
        self.statistics = WorkerStatistics(metrics: metrics)
        self.redisConfiguration = redisConfiguration
        self.logger = logger
        self.notifier = notifier
        self.workerTag = workerTag
        self.shutdownSignals = shutdownSignals
        self.reload = reload
    }

    /// Runs until a shutdown signal or cancellation; throws when Redis refuses the credentials, or a
    /// ``MetricsServerError`` before anything starts when `metrics.listen` cannot be listened on.
    public func run() async throws {
        var popConfiguration = redisConfiguration
        popConfiguration.clientName = redisConfiguration.clientName.map { $0 + "-pop" }
        let functions = settings.scripts == .functions ? IPWatcherFunctions.library : nil
        // Each connection's log lines say which one they are about, since both name the same server.
        var popLogger = logger
        popLogger[metadataKey: "connection"] = "pop"
        var writeLogger = logger
        writeLogger[metadataKey: "connection"] = "write"
        let popClient = RedisRouter(
            endpoint: endpoint, clusterSeeds: clusterSeeds, configuration: popConfiguration, logger: popLogger,
            functions: functions)
        let writeClient = RedisRouter(
            endpoint: endpoint, clusterSeeds: clusterSeeds, configuration: redisConfiguration, logger: writeLogger,
            functions: functions)
        let progress = WatchdogProgress()
        let notifier = self.notifier
        let endpointText = clusterSeeds.map { "Redis Cluster " + $0.map { "\($0)" }.joined(separator: ",") }
            ?? "\(endpoint)"
        let logger = self.logger
        let settings = Self.blockingWithinWatchdog(self.settings, interval: notifier.watchdogInterval, logger: logger)
        let (source, recovery) = Self.batchSource(
            for: settings, popClient: popClient, writeClient: writeClient, live: live, runTag: workerTag,
            logger: logger)
        let consumer = ConsumerService(
            source: source, recovery: recovery, popClient: popClient, writeClient: writeClient, settings: settings,
            live: live, statistics: statistics, progress: progress, logger: logger
        ) {
            logger.notice(
                "consuming",
                metadata: [
                    "queue": "\(settings.queueKey)", "shards": "\(settings.queueShards)", "redis": "\(endpointText)",
                    "rules": "\(settings.detection.rulesSummary)",
                ])
            notifier.ready(status: "consuming \(settings.queueKey) at \(endpointText)")
        }
        var services: [any Service] = [
            RedisClientService(client: popClient),
            RedisClientService(client: writeClient),
            BanExpiryService(client: writeClient, settings: settings, statistics: statistics, logger: logger),
            SystemdStatusService(
                notifier: notifier, statistics: statistics, progress: progress, endpointDescription: endpointText,
                logger: logger, redisState: { writeClient.state }),
        ]
        services += try await metricsServices(
            popClient: popClient, writeClient: writeClient, progress: progress, logger: logger)
        if settings.delivery == .atLeastOnce, let duration = settings.lease {
            services.append(
                WorkerLeaseService(
                    lease: WorkerLease(client: writeClient, settings: settings, duration: duration), logger: logger))
        }
        if let reload {
            services.append(ReloadService(live: live, notifier: notifier, logger: logger, load: reload))
        }
        services.append(consumer)
        services.append(StoppingNotifierService(notifier: notifier, logger: logger))
        notifier.status("waiting for Redis at \(endpointText)")
        let group = ServiceGroup(
            configuration: .init(
                services: services.map { .init(service: $0) },
                gracefulShutdownSignals: shutdownSignals,
                cancellationSignals: [],
                logger: logger))
        try await group.run()
    }
}

extension IPWatcherWorker {
    /// The source and recovery `settings.delivery` asks for: at-least-once pops into processing hashes
    /// (``ProcessingQueuePopper``) and recovers them, at-most-once pops plainly (``QueuePopper``).
    ///
    /// `runTag` must differ between runs of the same worker: it names this run's batches.
    static func batchSource(
        for settings: WorkerSettings, popClient: RedisRouter, writeClient: RedisRouter, live: LiveDetectionSettings,
        runTag: String, logger: Logger
    ) -> (source: any BatchSource, recovery: BatchRecovery?) {
        switch settings.delivery {
        case .atLeastOnce:
            let popper = ProcessingQueuePopper(client: popClient, settings: settings, runTag: runTag)
            let recovery = BatchRecovery(
                own: popper, client: writeClient, settings: settings, live: live, runTag: runTag, logger: logger)
            return (popper, recovery)
        case .atMostOnce:
            return (QueuePopper(client: popClient, settings: settings), nil)
        }
    }

    /// `settings` with the blocking pop cut to half the watchdog interval (at least 10 ms) when that is shorter
    /// than `queue.block_timeout`.
    ///
    /// The watchdog is pinged only after the consumer loop made progress, and an idle loop makes progress once
    /// per pop, when the pop's block times out. With `WatchdogSec=0.4s` (a ping every 200 ms) and the default
    /// block of 1 s, an idle, healthy worker would be pinged once a second and killed by systemd; a block of at
    /// most half the ping interval lets every ping find progress, while a wedged loop still makes none.
    static func blockingWithinWatchdog(
        _ settings: WorkerSettings, interval: Duration?, logger: Logger
    ) -> WorkerSettings {
        guard let interval else { return settings }
        let limit = max(interval / 2, .milliseconds(10))
        guard settings.blockTimeout > limit else { return settings }
        var settings = settings
        logger.info(
            "blocking pops cut to half the watchdog interval",
            metadata: ["block_timeout_s": "\(limit.seconds)", "watchdog_interval_s": "\(interval.seconds)"])
        settings.blockTimeout = limit
        return settings
    }
}

/// Tells systemd `STOPPING=1` as soon as a graceful shutdown begins.
struct StoppingNotifierService: Service {
    let notifier: SystemdNotifier
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        logger.notice("shutting down")
        notifier.stopping()
    }
}
