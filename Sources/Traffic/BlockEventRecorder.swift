import Logging
import NIOCore
import RESP
import RedisClient
import Synchronization

/// Listens on the worker's events channel during a feed and records each block, with how many of the unit's
/// requests the feed had sent when the block arrived.
///
/// Subscribe before the feed starts (``subscribe(endpoint:channel:configuration:logger:)`` returns once Redis
/// confirmed the subscription), so no block can be missed. The subscription uses a RESP3 connection of its
/// own, whose messages arrive as pushes on the connection's event loop; the feeder asks for the unresolved
/// blocks between pipelines and fills in its sent counts, so the number is exact to one pipeline.
public final class BlockEventRecorder: Sendable {
    /// The channel listened to.
    public let channel: String
    private let connection: RedisConnection
    private let log: Log

    /// Shared between the push callback (on the event loop) and the feed.
    final class Log: Sendable {
        struct State {
            var confirmed = false
            var events: [BlockEvent] = []
            var seenUnits: Set<String> = []
            var unparsable = 0
            /// Units whose first block has no sent count yet.
            var pending: [String] = []
            var sentAtBlock: [String: Int] = [:]
        }

        let channel: String
        let state = Mutex(State())

        init(channel: String) {
            self.channel = channel
        }

        /// Handles one push: the subscription's confirmation or a message.
        func receive(_ push: RESPToken) {
            guard let parts = push.array else { return }
            var iterator = parts.makeIterator()
            guard let kind = iterator.next()?.string, let pushChannel = iterator.next()?.string,
                pushChannel == channel
            else { return }
            switch kind {
            case "subscribe":
                state.withLock { $0.confirmed = true }
            case "message":
                let payload = iterator.next()?.string ?? ""
                guard let event = BlockEvent(json: payload) else {
                    state.withLock { $0.unparsable += 1 }
                    return
                }
                state.withLock { state in
                    state.events.append(event)
                    // A range is not a unit of the feed: there is no sent count to take for it.
                    if !event.range, state.seenUnits.insert(event.unit).inserted { state.pending.append(event.unit) }
                }
            default:
                break
            }
        }
    }

    private init(channel: String, connection: RedisConnection, log: Log) {
        self.channel = channel
        self.connection = connection
        self.log = log
    }

    /// Connects (RESP3), subscribes to `channel` and waits for Redis to confirm the subscription.
    ///
    /// Throws when the server speaks only RESP2 (Redis 5 and older) or does not confirm within the connect
    /// timeout.
    public static func subscribe(
        endpoint: RedisEndpoint, channel: String = "ipwatcher:events",
        configuration: RedisConnectionConfiguration = RedisConnectionConfiguration(),
        logger: Logger = Logger(label: "ipwatcher.feed")
    ) async throws -> BlockEventRecorder {
        let log = Log(channel: channel)
        let connection = try await RedisConnection.connect(
            to: endpoint, configuration: configuration, logger: logger, onPush: { log.receive($0) })
        do {
            try await connection.subscribe([channel]) { log.state.withLock { $0.confirmed } }
        } catch {
            await connection.closeNow()
            throw error
        }
        return BlockEventRecorder(channel: channel, connection: connection, log: log)
    }

    /// Every block event so far, in arrival order (a unit blocked again after its ban ended appears again).
    public var events: [BlockEvent] { log.state.withLock { $0.events } }

    /// Messages on the channel that were not block events.
    public var unparsableMessages: Int { log.state.withLock { $0.unparsable } }

    /// Per blocked unit: the feed's sent count for it when its first block event arrived.
    public var sentAtBlock: [String: Int] { log.state.withLock { $0.sentAtBlock } }

    /// Fills in sent counts for blocks that arrived since the last call, using `sentCount` (nil: a unit this
    /// feed did not send, whose block is left without a count).
    func resolvePending(_ sentCount: (String) -> Int?) {
        let pending: [String] = log.state.withLock { state in
            defer { state.pending.removeAll() }
            return state.pending
        }
        guard !pending.isEmpty else { return }
        var resolved: [(String, Int)] = []
        for unit in pending {
            if let count = sentCount(unit) { resolved.append((unit, count)) }
        }
        log.state.withLock { state in
            for (unit, count) in resolved where state.sentAtBlock[unit] == nil { state.sentAtBlock[unit] = count }
        }
    }

    /// Fills in sent counts for blocks that arrive after the feed ended: by then it had sent everything.
    public func resolveRemaining(with truth: GroundTruth) {
        resolvePending { truth.unit(named: $0)?.sent }
    }

    /// Unsubscribes by closing the connection.
    public func close() async {
        await connection.closeNow()
    }
}
