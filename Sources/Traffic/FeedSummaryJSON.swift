/// ``FeedSummary`` in the shape `ipwatcher feed --json` prints (keys in snake case there).
public struct FeedSummaryJSON: Sendable, Hashable, Codable {
    /// Per kind of unit.
    public struct Kind: Sendable, Hashable, Codable {
        /// Units of the kind.
        public var units: Int
        /// Their requests.
        public var requests: Int
        /// How many of them the rule should block.
        public var expectedBlocked: Int
    }

    /// The scenario's name (`single` for `--ip`).
    public var scenario: String
    /// The seed.
    public var seed: UInt64
    /// The list pushed to.
    public var queue: String
    /// Whether entries carried event times.
    public var eventTimes: Bool
    /// Requests sent.
    public var sent: Int
    /// `LPUSH` commands sent.
    public var commands: Int
    /// Sending time.
    public var elapsedSeconds: Double
    /// Requests per second.
    public var ratePerSecond: Double
    /// Time waited for a window boundary before sending.
    public var waitedSeconds: Double
    /// The mode the ground truth assumed.
    public var mode: String
    /// The threshold it assumed.
    public var threshold: Int
    /// The window length (seconds) it assumed.
    public var window: Int
    /// Units sent.
    public var units: Int
    /// Per kind, by the kind's raw name.
    public var kinds: [String: Kind]
}
