/// One message a sentinel published on one of its event channels, and when it arrived here.
public struct SentinelEvent: Sendable, CustomStringConvertible {
    /// The port of the sentinel that published it.
    public let sentinelPort: Int
    /// The event, which is the channel's name: `+sdown`, `+odown`, `+promoted-slave`, `+switch-master`, ….
    public let channel: String
    /// The message as published, e.g. `ipwatcher 127.0.0.1 41001 127.0.0.1 41002` for `+switch-master` (master
    /// name, old address, new address) or `master ipwatcher 127.0.0.1 41001` for `+sdown` (what the instance is,
    /// its name and address).
    public let message: String
    /// When the push reached the connection's event loop; on loopback within a millisecond of its publication.
    public let receivedAt: ContinuousClock.Instant

    /// Creates an event.
    public init(sentinelPort: Int, channel: String, message: String, receivedAt: ContinuousClock.Instant) {
        self.sentinelPort = sentinelPort
        self.channel = channel
        self.message = message
        self.receivedAt = receivedAt
    }

    /// The message split at spaces.
    public var words: [String] {
        message.split(separator: " ").map(String.init)
    }

    /// `127.0.0.1:PORT +event message`, for test output.
    public var description: String {
        "127.0.0.1:\(sentinelPort) \(channel) \(message)"
    }
}
