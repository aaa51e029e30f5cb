import Detection
import Logging
import RedisClient
import ServiceLifecycle
import Synchronization

/// The web tier's half of ipwatcher in one value: for each request, the client's address, whether it is blocked,
/// and the record that lets the worker count it.
///
/// ``decide(peer:path:forwarded:forwardedFor:)`` is what middleware calls per request. It never waits and never
/// touches the network: the address resolves from the peer and the forwarding headers (``ClientAddressResolver``),
/// the check reads the in-memory ``BlocklistMirror``, and the record goes into the ``AddressRecorder``'s buffer.
///
/// ``run()`` does the network work — the mirror's connection, the recorder's flushes, and the metrics — until the
/// task is cancelled or, in a `ServiceGroup`, until graceful shutdown: then the recorder flushes what it holds
/// through the still-open connection before the connection closes.
///
/// With Redis away every request is still decided at once: from the last-known blocklist, while the recorder
/// buffers up to its capacity and then drops (counted). See the README's *For the web tier*.
public final class WebTierGuard: Service, Sendable {
    /// Requests decided since the guard was made.
    public struct Statistics: Sendable, Hashable {
        /// Requests let through.
        public var served = 0
        /// Requests refused because their client is blocked.
        public var refused = 0
        /// Requests for excluded paths (neither recorded nor checked).
        public var excluded = 0
    }

    /// The configuration in use.
    public let configuration: WebTierConfiguration
    /// The in-memory blocklist (its ``BlocklistMirror/status`` says how current it is).
    public let mirror: BlocklistMirror
    /// The batching recorder (its ``AddressRecorder/statistics`` count pushes and drops).
    public let recorder: AddressRecorder
    let router: RedisRouter
    let resolver: ClientAddressResolver
    let clock: WallClock
    let logger: Logger
    private let served = Atomic<Int>(0)
    private let refused = Atomic<Int>(0)
    private let excluded = Atomic<Int>(0)

    /// A guard for `configuration`; nothing connects until ``run()``.
    public init(
        configuration: WebTierConfiguration, clock: WallClock = WallClock(),
        logger: Logger = Logger(label: "ipwatcher.web")
    ) {
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        mirror = BlocklistMirror(endpoint: configuration.endpoint, settings: configuration.mirror, logger: logger)
        var recorderConnection = configuration.mirror.connection
        recorderConnection.clientName = "ipwatcher-web-recorder"
        router = RedisRouter(
            endpoint: configuration.endpoint, clusterSeeds: nil, configuration: recorderConnection, logger: logger)
        recorder = AddressRecorder(router: router, settings: configuration.recorder, clock: clock, logger: logger)
        resolver = ClientAddressResolver(trustedProxies: configuration.trustedProxies)
    }

    /// Decides a request from `peer` (the socket's remote address) for `path` (without its query), carrying these
    /// forwarding header values (each a whole header's value, in the order received).
    ///
    /// Records the client unless the path is excluded or (by default) the client is refused. Never waits.
    public func decide(
        peer: IPAddress, path: some StringProtocol, forwarded: [String] = [], forwardedFor: [String] = []
    ) -> RequestDecision {
        let client = resolver.clientAddress(peer: peer, forwarded: forwarded, forwardedFor: forwardedFor)
        if !configuration.excludedPaths.isEmpty, configuration.isExcluded(path: path) {
            excluded.add(1, ordering: .relaxed)
            return RequestDecision(client: client, ban: nil, isExcluded: true, mirrorWasStale: mirror.isStale)
        }
        let (ban, isStale) = mirror.lookUp(client)
        if ban == nil || configuration.recordsRefusedRequests { recorder.record(client) }
        if ban == nil {
            served.add(1, ordering: .relaxed)
        } else {
            refused.add(1, ordering: .relaxed)
        }
        return RequestDecision(client: client, ban: ban, isExcluded: false, mirrorWasStale: isStale)
    }

    /// The `Retry-After` value for `decision` now (see ``RequestDecision/retryAfterSeconds(nowMilliseconds:)``).
    public func retryAfterSeconds(for decision: RequestDecision) -> Int? {
        decision.retryAfterSeconds(nowMilliseconds: clock.nowMilliseconds())
    }

    /// The requests decided so far.
    public var statistics: Statistics {
        Statistics(
            served: served.load(ordering: .relaxed), refused: refused.load(ordering: .relaxed),
            excluded: excluded.load(ordering: .relaxed))
    }

    /// Keeps the mirror current, flushes the recorder and reports metrics until cancelled or, in a `ServiceGroup`,
    /// until graceful shutdown, after which the recorder's last flush goes out before the connection closes.
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.keepRouterConnected() }
            group.addTask {
                await withTaskGroup(of: Void.self) { parts in
                    parts.addTask { await cancelWhenGracefulShutdown { await self.mirror.run() } }
                    parts.addTask { await cancelWhenGracefulShutdown { await self.reportMetrics() } }
                    // Not cancelled by a graceful shutdown: it ends after its last flush, which must not be cancelled.
                    parts.addTask { await self.recorder.run() }
                }
            }
            // The parts end first (graceful shutdown, after the recorder's last flush); the router outlives them.
            _ = await group.next()
            group.cancelAll()
        }
    }

    /// Runs the recorder's connection; when Redis refuses the credentials it logs why and waits to be cancelled,
    /// since the web tier keeps serving without it.
    private func keepRouterConnected() async {
        do {
            try await router.run()
        } catch {
            logger.error(
                "the recorder cannot log in to Redis; requests are served but no longer counted",
                metadata: ["error": "\(error)"])
            while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
        }
    }
}
