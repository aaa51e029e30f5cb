import IPWatcherWeb
import Logging
import ServiceLifecycle
import Vapor

extension Application {
    /// Runs the application as ``execute()`` does, with `guardian` running beside it: the mirror's connection, the
    /// recorder's flushes and the metrics. When the application stops, the guard shuts down gracefully, so the
    /// recorder's last flush goes out before its connection closes.
    ///
    /// Vapor runs no services of its own, and the guard's work must live in a task that ends with the app: this
    /// keeps it in one structured task group rather than a task started at boot and cancelled at shutdown.
    public func execute(running guardian: WebTierGuard) async throws {
        let services = ServiceGroup(
            configuration: .init(services: [.init(service: guardian)], gracefulShutdownSignals: [], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await services.run() }
            do {
                try await execute()
            } catch {
                await services.triggerGracefulShutdown()
                try? await group.waitForAll()
                throw error
            }
            await services.triggerGracefulShutdown()
            try await group.waitForAll()
        }
    }
}
