import Detection

extension IPWatcherConfiguration {
    /// The `blocklist` section: where blocked addresses go and who is told.
    public struct Blocklist: Sendable, Hashable {
        /// The key blocked addresses are written to.
        public var key: String
        /// How long a block lasts in seconds, at most ``Detection/BanExpiry/maximumSeconds`` (ten years); 0 blocks
        /// for good.
        public var banSeconds: Int
        /// Pub/sub channel each new block is published on; nil publishes nothing.
        public var eventsChannel: String?
        /// `blocklist.escalation`: longer bans for repeat offenders (off by default).
        public var escalation: BanEscalation

        /// Creates the section; every parameter defaults to the documented default.
        public init(
            key: String = "blocklist", banSeconds: Int = 3600, eventsChannel: String? = "ipwatcher:events",
            escalation: BanEscalation = BanEscalation()
        ) {
            self.key = key
            self.banSeconds = banSeconds
            self.eventsChannel = eventsChannel
            self.escalation = escalation
        }
    }
}
