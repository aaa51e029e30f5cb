import Foundation
import Logging
import NIOPosix
import RESP
import RedisClient
import Synchronization
import Traffic

/// Subscribes to the worker's events channel and notes when each message arrives in this process.
///
/// The push callback runs on the subscriber connection's event loop and only takes the time and keeps the
/// payload; the JSON is decoded afterwards, in ``firstBlocks()``, so decoding never delays a later arrival.
/// One unit can be watched: the first block event naming it is also noted apart (``watchedArrival``). The
/// connection has an event loop thread of its own, so that no other connection's work (the feeder encodes its
/// pipelines on its connection's event loop) delays the moment an arrival is noted.
final class BlockArrivalLog: Sendable {
    /// Shared between the push callback (on the event loop) and the benchmark.
    private struct State {
        var confirmed = false
        var arrivals: [(ContinuousClock.Instant, String)] = []
        var watchedArrival: ContinuousClock.Instant?
    }

    private let channel: String
    /// `"unit":"<watched unit>"`, as the worker writes it into its events.
    private let watchedField: String?
    private let state = Mutex(State())
    private let connection = Mutex<RedisConnection?>(nil)
    private let eventLoop = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    /// Creates the log; ``subscribe(endpoint:channel:watching:logger:)`` connects it.
    private init(channel: String, watching unit: String?) {
        self.channel = channel
        self.watchedField = unit.map { "\"unit\":\"\($0)\"" }
    }

    /// Connects (RESP3), subscribes to `channel` and returns once Redis confirmed the subscription; the first
    /// block of `unit`, when given, is noted apart.
    static func subscribe(
        endpoint: RedisEndpoint, channel: String, watching unit: String? = nil, logger: Logger
    ) async throws -> BlockArrivalLog {
        let log = BlockArrivalLog(channel: channel, watching: unit)
        let configuration = RedisConnectionConfiguration(clientName: "ipwatcher-bench-events")
        let connection: RedisConnection
        do {
            connection = try await RedisConnection.connect(
                to: endpoint, configuration: configuration, eventLoopGroup: log.eventLoop, logger: logger,
                onPush: { log.receive($0) })
        } catch {
            try? await log.eventLoop.shutdownGracefully()
            throw error
        }
        log.connection.withLock { $0 = connection }
        do {
            try await connection.subscribe([channel]) { log.state.withLock { $0.confirmed } }
        } catch {
            await log.close()
            throw error
        }
        return log
    }

    /// Handles one push: the subscription's confirmation or a message.
    private func receive(_ push: RESPToken) {
        let now = ContinuousClock.now
        guard let parts = push.withoutAttributes.array else { return }
        var iterator = parts.makeIterator()
        guard let kind = iterator.next()?.string, iterator.next()?.string == channel else { return }
        switch kind {
        case "subscribe":
            state.withLock { $0.confirmed = true }
        case "message":
            guard let payload = iterator.next()?.string else { return }
            let watched = watchedField.map { payload.contains($0) } ?? false
            state.withLock { state in
                state.arrivals.append((now, payload))
                if watched, state.watchedArrival == nil { state.watchedArrival = now }
            }
        default:
            break
        }
    }

    /// The first block event of each unit, with when it arrived.
    func firstBlocks() -> [String: (arrival: ContinuousClock.Instant, event: BlockEvent)] {
        let arrivals = state.withLock { $0.arrivals }
        var first: [String: (arrival: ContinuousClock.Instant, event: BlockEvent)] = [:]
        for (instant, payload) in arrivals {
            guard let event = BlockEvent(json: payload), first[event.unit] == nil else { continue }
            first[event.unit] = (instant, event)
        }
        return first
    }

    /// When the first block event of the watched unit arrived, if it has.
    var watchedArrival: ContinuousClock.Instant? { state.withLock { $0.watchedArrival } }

    /// How many messages arrived so far.
    var count: Int { state.withLock { $0.arrivals.count } }

    /// Unsubscribes by closing the connection, and stops its thread.
    func close() async {
        if let connection = connection.withLock({ $0 }) { await connection.closeNow() }
        try? await eventLoop.shutdownGracefully()
    }
}
