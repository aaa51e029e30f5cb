import RedisClient
import SystemdNotify

/// Reads the running worker for the metrics endpoint: its totals, the settings in force, both Redis
/// connections and the consumer loop's progress.
///
/// Everything it reads is in memory and behind a lock or an atomic, so answering a scrape or a health check
/// never waits on Redis or on the consumer.
struct MetricsCollector: Sendable {
    let metrics: WorkerMetrics
    let statistics: WorkerStatistics
    let live: LiveDetectionSettings
    let progress: WatchdogProgress
    let popClient: RedisRouter
    let writeClient: RedisRouter
    /// See ``WorkerHealth/progressLimit(blockTimeout:)``.
    let progressLimit: Duration

    /// Brings the metrics up to date and renders them.
    func metricsText() -> String {
        metrics.update(
            WorkerMetrics.Readings(
                statistics: statistics.snapshot, detection: live.current,
                connections: [
                    "pop": WorkerMetrics.Connection(
                        isReady: popClient.state.isReady, connectionCount: popClient.connectionCount),
                    "write": WorkerMetrics.Connection(
                        isReady: writeClient.state.isReady, connectionCount: writeClient.connectionCount),
                ]))
        return metrics.exposition()
    }

    /// The worker's health now.
    func health() -> WorkerHealth {
        WorkerHealth(
            popConnection: popClient.state, writeConnection: writeClient.state,
            sinceProgress: progress.timeSinceLastProgress, progressLimit: progressLimit,
            refusal: statistics.snapshot.refusing)
    }
}
