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
        /// `blocklist.ranges`: when a whole network is banned (off by default).
        public var ranges: RangeBanPolicy
        /// `blocklist.ranges.key`: the set of banned ranges (`network/length`) the web tier checks beside ``key``.
        public var rangesKey: String

        /// Creates the section; every parameter defaults to the documented default.
        public init(
            key: String = "blocklist", banSeconds: Int = 3600, eventsChannel: String? = "ipwatcher:events",
            escalation: BanEscalation = BanEscalation(), ranges: RangeBanPolicy = RangeBanPolicy(),
            rangesKey: String = "blocklist:ranges"
        ) {
            self.key = key
            self.banSeconds = banSeconds
            self.eventsChannel = eventsChannel
            self.escalation = escalation
            self.ranges = ranges
            self.rangesKey = rangesKey
        }
    }
}
