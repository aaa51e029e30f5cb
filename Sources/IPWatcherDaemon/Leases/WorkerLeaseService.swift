import Logging
import RedisClient
import ServiceLifecycle

/// Renews the worker's lease every third of its duration, so other workers know it is alive (``WorkerLease``).
///
/// It runs beside the consumer rather than in its loop, so a long batch write never lets the lease run out. On
/// graceful shutdown it stops renewing and leaves the lease to run out: batches still in the processing hashes
/// (Redis was away) are then taken over by another worker if this one does not come back within the lease.
struct WorkerLeaseService: Service {
    let lease: WorkerLease
    let logger: Logger

    func run() async throws {
        let failures = RateLimitedLogger(logger: logger, limit: 1, interval: .seconds(60))
        let interval = lease.duration / 3
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await lease.renew()
            } catch {
                failures.log(level: .warning, "cannot renew the worker's lease", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
