import Logging
import RedisClient
import ServiceLifecycle
import SystemdNotify

/// Keeps systemd informed: `STATUS=` with live figures every couple of seconds, and `WATCHDOG=1` at half of
/// `WATCHDOG_USEC` — but only while the consumer loop reports progress, so a wedged loop makes systemd
/// restart the service.
public struct SystemdStatusService: Service {
    let notifier: SystemdNotifier
    let statistics: WorkerStatistics
    let progress: WatchdogProgress
    /// Where Redis is, for the status line.
    let endpointDescription: String
    let logger: Logger
    /// Whether the worker's connection to Redis is up, read at every tick.
    let redisState: @Sendable () -> RedisConnectionState

    public func run() async throws {
        // Cancelling on graceful shutdown interrupts the sleep between ticks, so shutdown never waits for it.
        await cancelWhenGracefulShutdown { await loop() }
    }

    private func loop() async {
        let watchdogInterval = notifier.watchdogInterval
        let statusInterval: Duration = .seconds(2)
        let tick = min(watchdogInterval ?? statusInterval, statusInterval)
        var lastStatus = ContinuousClock.now - statusInterval
        var lastSnapshot = statistics.snapshot
        var lastStatusTime = ContinuousClock.now
        var lastWatchdog = ContinuousClock.now
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let now = ContinuousClock.now
            if let watchdogInterval, now - lastWatchdog >= watchdogInterval - .milliseconds(50) {
                lastWatchdog = now
                if progress.consumeProgress() {
                    notifier.watchdog()
                } else {
                    logger.warning("consumer loop made no progress; withholding the watchdog ping")
                }
            }
            if now - lastStatus >= statusInterval {
                let snapshot = statistics.snapshot
                let seconds = max((now - lastStatusTime).seconds, 0.001)
                let rate = Double(snapshot.popped - lastSnapshot.popped) / seconds
                notifier.status(Self.statusLine(snapshot, rate: rate, redis: redisState(), endpoint: endpointDescription))
                lastSnapshot = snapshot
                lastStatusTime = now
                lastStatus = now
            }
            try? await Task.sleep(for: tick)
        }
    }

    /// The `STATUS=` text: the figures an operator wants from `systemctl status`.
    public static func statusLine(
        _ snapshot: WorkerStatistics.Snapshot, rate: Double, redis: RedisConnectionState, endpoint: String
    ) -> String {
        let figures =
            "processed \(snapshot.popped), rejected \(snapshot.rejectedTotal), blocked \(snapshot.blocked), "
            + "unblocked \(snapshot.unblocked), \(Int(rate.rounded()))/s"
        switch redis {
        case .ready:
            guard let refusal = snapshot.refusing else { return figures }
            return "held: \(refusal.description); " + figures
        default: return "waiting for Redis at \(endpoint) (\(redis)); " + figures
        }
    }
}
