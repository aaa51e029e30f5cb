import IPWatcherDaemon
import Traffic

extension DetectionSetup {
    /// The setup a worker with `worker`'s configuration runs: its rules (with the detection section's prefixes
    /// and allowlist), its bans, escalation and range bans.
    init(worker: IPWatcherConfiguration) {
        let detection = DetectionSettings(configuration: worker)
        self.init(
            rules: detection.rules, banSeconds: detection.banSeconds, escalation: detection.escalation,
            ranges: worker.blocklist.ranges)
    }
}
