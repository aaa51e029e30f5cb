import LocalRedis
import RESP
import RedisClient
import Synchronization

/// Listens on the event channels of every sentinel of a ``LocalRedisSentinelGroup`` and records each message with
/// the instant it arrived, so that a test can time a failover and see what happened when it fails.
///
/// A sentinel publishes each event it logs on a channel named after it (`+sdown`, `+odown`, `+elected-leader`,
/// `+promoted-slave`, `+switch-master`, …). Start watching before causing the failover
/// (``watch(_:channels:)`` returns once every sentinel confirmed every subscription), so nothing is missed. Each
/// sentinel gets a RESP3 connection of the project's own client, used as a plain Redis connection (a sentinel
/// speaks RESP, `HELLO` and pub/sub like a server), logged in with the group's sentinel password. Always
/// ``close()`` it, or use ``withSentinelEvents(_:channels:_:)``.
public final class SentinelEventWatcher: Sendable {
    /// The channels watched by default: every step of a failover, the sentinels' view of the instances going down
    /// and up, and the sentinels' own trouble (`+tilt`, aborted failovers).
    public static let failoverChannels = [
        "+sdown", "-sdown", "+odown", "-odown", "+new-epoch", "+try-failover", "+vote-for-leader",
        "+elected-leader", "+failover-state-select-slave", "+selected-slave", "+failover-state-send-slaveof-noone",
        "+failover-state-wait-promotion", "+promoted-slave", "+failover-state-reconf-slaves", "+slave-reconf-sent",
        "+slave-reconf-inprog", "+slave-reconf-done", "+failover-end", "+failover-end-for-timeout",
        "+switch-master", "+config-update-from", "+convert-to-slave", "+fix-slave-config", "+role-change",
        "-role-change", "+reboot", "+tilt", "-tilt", "-failover-abort-not-elected",
        "-failover-abort-no-good-slave", "-failover-abort-slave-timeout",
    ]

    /// How often ``waitForSwitch(from:timeout:)`` looks at the log; the instant it reports comes from the push
    /// itself, so this only delays the return.
    private static let pollInterval: Duration = .milliseconds(10)

    /// The group watched.
    public let group: LocalRedisSentinelGroup
    /// The channels subscribed to on every sentinel.
    public let channels: [String]
    private let connections: [RedisConnection]
    private let log: Log

    /// What the push callbacks (on the connections' event loops) record and the test reads.
    final class Log: Sendable {
        struct State {
            var events: [SentinelEvent] = []
            /// Per sentinel port, how many subscriptions it confirmed.
            var confirmed: [Int: Int] = [:]
        }

        let state = Mutex(State())

        /// Handles one push from the sentinel at `port`: a subscription's confirmation or an event.
        func receive(_ push: RESPToken, from port: Int) {
            let receivedAt = ContinuousClock.now
            guard let parts = push.array.map(Array.init), parts.count >= 3, let kind = parts[0].string,
                let channel = parts[1].string
            else { return }
            switch kind {
            case "subscribe":
                state.withLock { $0.confirmed[port, default: 0] += 1 }
            case "message":
                let event = SentinelEvent(
                    sentinelPort: port, channel: channel, message: parts[2].string ?? "", receivedAt: receivedAt)
                state.withLock { $0.events.append(event) }
            default:
                break
            }
        }
    }

    private init(group: LocalRedisSentinelGroup, channels: [String], connections: [RedisConnection], log: Log) {
        self.group = group
        self.channels = channels
        self.connections = connections
        self.log = log
    }

    /// Connects to every running sentinel of `group`, subscribes to `channels` and returns once every sentinel has
    /// confirmed every subscription.
    ///
    /// Throws what connecting or subscribing threw (a refused password, a sentinel that does not confirm within the
    /// connect timeout), after closing the connections already open.
    public static func watch(
        _ group: LocalRedisSentinelGroup,
        channels: [String] = failoverChannels
    ) async throws -> SentinelEventWatcher {
        let log = Log()
        var connections: [RedisConnection] = []
        do {
            for sentinel in group.sentinels where sentinel.isRunning {
                let port = sentinel.port
                let endpoint = RedisEndpoint(
                    address: .tcp(host: "127.0.0.1", port: port), password: group.options.sentinelPassword)
                let connection = try await RedisConnection.connect(
                    to: endpoint, onPush: { log.receive($0, from: port) })
                connections.append(connection)
                try await connection.subscribe(channels) {
                    log.state.withLock { $0.confirmed[port] ?? 0 } == channels.count
                }
            }
        } catch {
            for connection in connections {
                await connection.closeNow()
            }
            throw error
        }
        return SentinelEventWatcher(group: group, channels: channels, connections: connections, log: log)
    }

    /// Every event so far, in arrival order.
    public var events: [SentinelEvent] {
        log.state.withLock { $0.events }
    }

    /// The events on `channel` so far, in arrival order.
    public func events(on channel: String) -> [SentinelEvent] {
        events.filter { $0.channel == channel }
    }

    /// Waits for the sentinels to announce that the master at 127.0.0.1:`oldPort` was replaced, and returns the
    /// first announcement.
    ///
    /// The earliest `+switch-master` naming the group's master and `oldPort` counts, whichever sentinel sent it;
    /// one that arrived before this call counts too. See ``SentinelSwitch/switchedAt`` for who announces when, and
    /// ``SentinelSwitch/promotedAt`` for the leader's earlier `+promoted-slave`. Throws ``WaitTimedOut`` with every
    /// event seen when none comes within `timeout`, and when the new address is not a data node of the group.
    public func waitForSwitch(from oldPort: Int, timeout: Duration = .seconds(30)) async throws -> SentinelSwitch {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while true {
            if let event = firstEvent(on: "+switch-master", where: { words in
                // <master name> <old ip> <old port> <new ip> <new port>
                words.count == 5 && words[0] == group.masterName && words[2] == String(oldPort)
            }) {
                guard let newPort = Int(event.words[4]), let newMaster = group.server(port: newPort) else {
                    throw WaitTimedOut(description: "+switch-master names no data node of the group: \(event)")
                }
                let promotion = firstEvent(on: "+promoted-slave", where: { words in
                    // slave <ip:port> <ip> <port> @ <master name> <master ip> <master port>
                    words.count == 8 && words[3] == String(newPort) && words[5] == group.masterName
                        && words[7] == String(oldPort)
                })
                return SentinelSwitch(
                    oldPort: oldPort, newPort: newPort, newMaster: newMaster, switchedAt: event.receivedAt,
                    announcedBy: event.sentinelPort, promotedAt: promotion?.receivedAt)
            }
            guard clock.now < deadline else {
                throw WaitTimedOut(
                    description: "no sentinel announced +switch-master from 127.0.0.1:\(oldPort) within \(timeout); "
                        + "events seen:\n\(timeline(since: nil))")
            }
            try await Task.sleep(for: Self.pollInterval)
        }
    }

    /// The earliest event on `channel` whose words satisfy `matches`, if one arrived.
    private func firstEvent(on channel: String, where matches: ([String]) -> Bool) -> SentinelEvent? {
        events(on: channel).filter { matches($0.words) }.min { $0.receivedAt < $1.receivedAt }
    }

    /// Every event so far, one a line, each with its arrival in milliseconds after `start` (or after the first
    /// event), e.g. `+1042 ms  127.0.0.1:41003 +sdown master ipwatcher 127.0.0.1 41001`.
    public func timeline(since start: ContinuousClock.Instant?) -> String {
        let events = self.events.sorted { $0.receivedAt < $1.receivedAt }
        guard let origin = start ?? events.first?.receivedAt else { return "(no events)" }
        return events.map { event in
            "+\(Self.milliseconds(event.receivedAt - origin)) ms  \(event)"
        }.joined(separator: "\n")
    }

    /// `duration` in whole milliseconds, for test output.
    public static func milliseconds(_ duration: Duration) -> Int64 {
        let components = duration.components
        return components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }

    /// Unsubscribes by closing every connection.
    public func close() async {
        for connection in connections {
            await connection.closeNow()
        }
    }
}

/// Watches `group`'s sentinels as ``SentinelEventWatcher/watch(_:channels:)`` does, runs `body`, and closes the
/// watcher afterwards, also when `body` throws.
public func withSentinelEvents<Result>(
    _ group: LocalRedisSentinelGroup,
    channels: [String] = SentinelEventWatcher.failoverChannels,
    _ body: (SentinelEventWatcher) async throws -> Result
) async throws -> Result {
    let watcher = try await SentinelEventWatcher.watch(group, channels: channels)
    do {
        let result = try await body(watcher)
        await watcher.close()
        return result
    } catch {
        await watcher.close()
        throw error
    }
}
