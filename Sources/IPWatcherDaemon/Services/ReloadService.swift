import Logging
import ServiceLifecycle
import SystemdNotify
import UnixSignals

/// Reloads the detection settings on `SIGHUP` without touching the Redis connections.
///
/// A new configuration that fails to load is reported and the old one stays in force, so a typo in the file
/// never stops a running worker.
public struct ReloadService: Service {
    private let live: LiveDetectionSettings
    private let notifier: SystemdNotifier
    private let logger: Logger
    private let load: @Sendable () async throws -> DetectionSettings

    /// Creates the service; `load` reads the configuration afresh and returns the detection settings.
    public init(
        live: LiveDetectionSettings, notifier: SystemdNotifier, logger: Logger,
        load: @escaping @Sendable () async throws -> DetectionSettings
    ) {
        self.live = live
        self.notifier = notifier
        self.logger = logger
        self.load = load
    }

    public func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            for await _ in signals {
                await reload()
            }
        }
    }

    /// Loads and applies the configuration once.
    public func reload() async {
        notifier.reloading()
        do {
            let new = try await load()
            let old = live.current
            live.replace(with: new)
            logger.notice(
                "configuration reloaded",
                metadata: [
                    "rules": "\(new.rulesSummary)", "ban_s": "\(new.banSeconds)",
                    "allowlist": "\(new.unitRule.allowlist.map(\.description).joined(separator: ","))",
                    "dry_run": "\(new.dryRun)", "changed": "\(old != new)",
                ])
        } catch {
            logger.error("configuration reload failed; keeping the settings in force", metadata: ["error": "\(error)"])
        }
        notifier.ready()
    }
}
