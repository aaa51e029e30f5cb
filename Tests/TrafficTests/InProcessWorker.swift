import IPWatcherDaemon
import IPWatcherTestSupport
import LocalRedis
import Logging
import RedisClient
import Synchronization
import SystemdNotify
import Testing

/// Runs an in-process worker with `settings` (its pop timeout shortened) on a private redis-server while `body`
/// runs, then cancels it; a worker that fails before that is a test failure.
func withInProcessWorker<Result: Sendable>(
    _ settings: WorkerSettings, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: @escaping @Sendable (RedisEndpoint) async throws -> Result
) async throws -> Result {
    try await withRedisServer(.unixSocketOnly, deadline: .seconds(60)) { server in
        let endpoint = try RedisEndpoint(url: server.url)
        var settings = settings
        settings.blockTimeout = .milliseconds(100)
        var logger = Logger(label: "ipwatcher.feed-tests")
        logger.logLevel = .critical
        let worker = IPWatcherWorker(
            endpoint: endpoint, settings: settings,
            redisConfiguration: RedisConnectionConfiguration(connectTimeout: .seconds(5), commandTimeout: .seconds(5)),
            logger: logger, notifier: SystemdNotifier(enabled: false), workerTag: "feed-test", shutdownSignals: [])
        return try await withThrowingTaskGroup(of: Void.self, returning: Result.self) { group in
            let stopping = Atomic<Bool>(false)
            group.addTask {
                do {
                    try await worker.run()
                } catch {
                    if !stopping.load(ordering: .relaxed) {
                        Issue.record("the worker failed: \(error)", sourceLocation: sourceLocation)
                    }
                }
            }
            defer {
                stopping.store(true, ordering: .relaxed)
                group.cancelAll()
            }
            return try await body(endpoint)
        }
    }
}
