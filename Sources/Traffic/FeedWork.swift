import RESP

/// `LPUSH` commands on their way to Redis, kept until their replies come so they can be sent again.
enum FeedWork: Sendable {
    /// Commands for the one server, as one pipeline; the encoder is reused once the replies are in.
    case pipeline(RESPCommandEncoder)
    /// One shard's commands for a Redis Cluster: all for `key`, so all for the master of its slot.
    case shard(key: String, commands: [RESPCommand])

    /// How many commands the work holds.
    var commandCount: Int {
        switch self {
        case .pipeline(let encoder): encoder.commandCount
        case .shard(_, let commands): commands.count
        }
    }
}
