import Logging
import RedisClient
import ServiceLifecycle
import SystemdNotify

extension IPWatcherWorker {
    /// The services behind `metrics.listen`, with the server already listening: the queue-length reader and
    /// the HTTP server; none when metrics are off.
    ///
    /// They go after the Redis clients and before the consumer in the group, so they start once the clients
    /// exist and stop only after the consumer finished its last batch (a group stops in reverse order).
    ///
    /// - Throws: ``MetricsServerError`` when the address cannot be listened on; nothing has started then.
    func metricsServices(
        popClient: RedisRouter, writeClient: RedisRouter, progress: WatchdogProgress, logger: Logger
    ) async throws(MetricsServerError) -> [any Service] {
        guard let listen = settings.metricsListen, let metrics else { return [] }
        let collector = MetricsCollector(
            metrics: metrics, statistics: statistics, live: live, progress: progress, popClient: popClient,
            writeClient: writeClient, progressLimit: WorkerHealth.progressLimit(blockTimeout: settings.blockTimeout))
        return [
            QueueLengthService(client: writeClient, keys: settings.shards.keys, metrics: metrics, logger: logger),
            try await MetricsServer.bind(
                listen: listen, logger: logger, port: metricsPort, limits: settings.metricsLimits,
                metrics: collector.metricsText,
                health: { collector.health().problem }),
        ]
    }
}
