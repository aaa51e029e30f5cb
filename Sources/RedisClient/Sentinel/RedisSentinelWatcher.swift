import Logging
import NIOCore
import NIOPosix
import RESP
import Synchronization

/// Follows where the sentinels say a master is, for as long as its ``run(onMaster:)`` runs.
///
/// A client connected through sentinels learns of a failover by losing its connection when the old master dies,
/// but not when the old master lives on as a replica (a manual `SENTINEL FAILOVER`, or a partition that heals):
/// its connection stays open and every write is answered `READONLY`. The watcher closes that gap. It subscribes
/// to `+switch-master` on one sentinel and also asks that sentinel for the address every ``checkInterval``, since a
/// sentinel cut off from us without a closed connection would otherwise hide a switch for good; a lost sentinel
/// connection moves it to the next sentinel.
public struct RedisSentinelWatcher: Sendable {
    /// The master followed.
    public let master: RedisSentinelMaster
    /// How often the sentinel is asked again besides its messages.
    public var checkInterval: Duration
    private let tls: RedisTLSOptions?
    private let configuration: RedisConnectionConfiguration
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger

    /// A watcher for `endpoint`'s master; nil unless `endpoint` is a ``RedisEndpoint/Address/sentinel(_:)``
    /// endpoint. `configuration` gives the timeouts and the backoff between failed sentinel connections.
    public init?(
        endpoint: RedisEndpoint, configuration: RedisConnectionConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger,
        checkInterval: Duration = .seconds(1)
    ) {
        guard case .sentinel(let master) = endpoint.address else { return nil }
        self.master = master
        self.tls = endpoint.tls
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.checkInterval = checkInterval
    }

    /// Calls `onMaster` with the master's address whenever it learns it: at each check and at each
    /// `+switch-master` for this master. Returns when the calling task is cancelled.
    ///
    /// `onMaster` runs on the watcher's tasks, often with the same address as before; keep it short.
    public func run(onMaster: @escaping @Sendable (RedisEndpoint.Address) -> Void) async {
        var failures = 0
        while !Task.isCancelled {
            let learned = LearnedFlag()
            do {
                try await followOneSentinel { address in
                    learned.value.store(true, ordering: .relaxed)
                    onMaster(address)
                }
            } catch {
                guard !Task.isCancelled else { break }
                // A sentinel that answered before ends an outage's count: the backoff starts over.
                failures = learned.value.load(ordering: .relaxed) ? 1 : failures + 1
                if failures == 1 {
                    logger.warning(
                        "lost the sentinel that reports failovers; trying the next", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: configuration.backoff.delay(attempt: failures))
            }
        }
    }

    /// One sentinel connection's life: returns only by throwing (the connection is gone) or when cancelled.
    private func followOneSentinel(onMaster: @escaping @Sendable (RedisEndpoint.Address) -> Void) async throws {
        let (pushes, continuation) = AsyncStream.makeStream(of: RESPToken.self, bufferingPolicy: .bufferingNewest(64))
        let connection = try await master.connectToSentinel(
            tls: tls, configuration: configuration, eventLoopGroup: eventLoopGroup, logger: logger,
            onPush: { continuation.yield($0) })
        connection.closeFuture.whenComplete { _ in continuation.finish() }
        let master = self.master
        let checkInterval = self.checkInterval
        do {
            // Sent first: the address asked below is answered after the subscription holds, so no switch falls
            // between the two.
            try await connection.subscribe([Self.channel])
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await push in pushes {
                        if let message = Self.switchMessage(in: push), message.masterName == master.name {
                            onMaster(message.newAddress)
                        }
                    }
                    throw RedisError.connectionClosed(reason: "the sentinel's connection closed")
                }
                group.addTask {
                    while true {
                        let (host, port) = try await master.masterAddress(on: connection)
                        onMaster(.tcp(host: host, port: port))
                        try await Task.sleep(for: checkInterval)
                    }
                }
                defer { group.cancelAll() }
                try await group.next()
            }
            await connection.closeNow()
        } catch {
            await connection.closeNow()
            throw error
        }
    }

    /// Whether a sentinel connection reported an address before it ended.
    private final class LearnedFlag: Sendable {
        let value = Atomic<Bool>(false)
    }

    /// The channel sentinels announce a finished failover on.
    static let channel = "+switch-master"

    /// The `+switch-master` message in a push, or nil for any other push (the subscription's confirmation).
    static func switchMessage(in push: RESPToken) -> SentinelSwitchMessage? {
        guard let parts = push.withoutAttributes.array else { return nil }
        var iterator = parts.makeIterator()
        guard iterator.next()?.string == "message", iterator.next()?.string == channel,
            let payload = iterator.next()?.string
        else { return nil }
        return SentinelSwitchMessage(payload: payload)
    }
}
