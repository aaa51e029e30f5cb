/// Where the worker's results are and how long to wait for them, for a feed with a detection report.
public struct ReportSettings: Sendable, Hashable {
    /// The worker's pub/sub channel for block events.
    public var eventsChannel: String
    /// The blocklist set.
    public var blocklistKey: String
    /// The set of banned ranges (`blocklist.ranges.key`), read when the setup's range bans are on.
    public var rangesKey: String = "blocklist:ranges"
    /// How long to wait for the worker to empty the queue after the feed.
    public var drainTimeout: Duration
    /// How long to wait after the queue is empty, for the last batch's blocks and their events.
    public var grace: Duration

    /// Creates settings; the defaults match the worker's.
    public init(
        eventsChannel: String = "ipwatcher:events", blocklistKey: String = "blocklist",
        drainTimeout: Duration = .seconds(60), grace: Duration = .seconds(1)
    ) {
        self.eventsChannel = eventsChannel
        self.blocklistKey = blocklistKey
        self.drainTimeout = drainTimeout
        self.grace = grace
    }
}
