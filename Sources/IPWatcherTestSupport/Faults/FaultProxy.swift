import NIOCore
import NIOPosix
import Synchronization

/// A TCP proxy on 127.0.0.1 in front of one upstream (a redis-server), whose faults — "toxics", after Shopify's
/// Toxiproxy — can be switched on and off while connections are open.
///
/// The machines this runs on have no `netem`, so the bad network is built into the path instead: point the client
/// at ``port`` instead of the server's. Each accepted connection gets its own connection to the upstream, on the
/// same event loop, and two ``FaultPipe``s, one each way. The toxics (``FaultToxics``) apply to every connection,
/// open or new, from the next chunk on: latency and a bandwidth cap each way, a partition, a reset (RST) or a cut
/// (FIN) after some bytes of the upstream's reply. A partition *holds* the bytes (and closes) of both directions
/// and delivers them in order when it heals, as TCP's retransmissions would after a real partition; Toxiproxy's
/// `timeout` toxic drops them instead, which a TCP connection never does while it stays open.
///
/// Thread-safe; the pipes run on the connections' event loops and the toxics are behind a lock.
public final class FaultProxy: Sendable {
    /// The port the proxy listens on, on 127.0.0.1.
    public let port: Int
    /// The upstream's host and port.
    public let upstream: (host: String, port: Int)

    private struct Connection {
        var channels: [any Channel]
        var kick: @Sendable () -> Void
    }

    private struct State {
        var toxics = FaultToxics()
        var counters = FaultProxyCounters()
        var connections: [Int: Connection] = [:]
        var nextID = 0
    }

    private let serverChannel: any Channel
    private let state = Mutex(State())

    private init(serverChannel: any Channel, port: Int, upstream: (host: String, port: Int)) {
        self.serverChannel = serverChannel
        self.port = port
        self.upstream = upstream
    }

    /// Starts a proxy on a free loopback port in front of `host`:`port`, with no toxics.
    ///
    /// The upstream is connected once per accepted connection; when that fails, the client's connection is closed.
    public static func start(
        upstreamHost host: String = "127.0.0.1", upstreamPort: Int,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> FaultProxy {
        let box = Mutex<FaultProxy?>(nil)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { inbound in
                inbound.eventLoop.makeCompletedFuture {
                    guard let proxy = box.withLock({ $0 }) else { throw ChannelError.ioOnClosedChannel }
                    try proxy.accept(inbound)
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        guard let port = channel.localAddress?.port else {
            try? await channel.close()
            throw ChannelError.unknownLocalAddress
        }
        let proxy = FaultProxy(serverChannel: channel, port: port, upstream: (host, upstreamPort))
        box.withLock { $0 = proxy }
        return proxy
    }

    /// Stops listening and closes every connection, both sides, at once (the toxics are cleared first).
    public func stop() async {
        let channels = state.withLock { state in
            state.toxics = FaultToxics()
            return state.connections.values.flatMap(\.channels)
        }
        try? await serverChannel.close()
        for channel in channels { try? await channel.close() }
    }

    /// The toxics in force.
    public var toxics: FaultToxics { state.withLock { $0.toxics } }

    /// What has been forwarded so far, and how many connections were accepted, are open, were reset or cut.
    public var counters: FaultProxyCounters { state.withLock { $0.counters } }

    /// The URL of a Redis behind the proxy: `redis://127.0.0.1:<port>`.
    public var redisURL: String { "redis://127.0.0.1:\(port)" }

    // MARK: Toxics

    /// Delays every chunk each way by `mean` ± `jitter` (uniform), keeping each direction's byte order.
    public func latency(mean: Duration, jitter: Duration = .zero) {
        change { $0.latency = (mean, jitter) }
    }

    /// Caps each direction of each connection at `bytesPerSecond` (nil: no cap).
    public func bandwidth(bytesPerSecond: Int?) {
        change { $0.bytesPerSecond = bytesPerSecond }
    }

    /// Forwards nothing from now on: connections stay open, new ones are accepted, bytes are held until ``heal()``.
    public func partition() {
        change { $0.partitioned = true }
    }

    /// Ends a partition: what was held is delivered, in order.
    public func heal() {
        change { $0.partitioned = false }
    }

    /// Resets (RST, by SO_LINGER 0) each client connection once `bytes` more bytes of the upstream's replies have
    /// reached it, and closes its upstream connection. Data the kernel had not sent yet is lost with the reset.
    public func resetMidReply(afterBytes bytes: Int) {
        change {
            $0.cutAfterDownstreamBytes = nil
            $0.resetAfterDownstreamBytes = bytes
            $0.generation += 1
        }
    }

    /// Forwards only `bytes` more bytes of the upstream's replies on each connection, then closes both sides (FIN).
    public func cutReply(afterBytes bytes: Int) {
        change {
            $0.resetAfterDownstreamBytes = nil
            $0.cutAfterDownstreamBytes = bytes
            $0.generation += 1
        }
    }

    /// Switches every toxic off; held bytes are delivered.
    public func clear() {
        change { toxics in
            let generation = toxics.generation + 1
            toxics = FaultToxics()
            toxics.generation = generation
        }
    }

    private func change(_ body: (inout FaultToxics) -> Void) {
        let kicks = state.withLock { state in
            body(&state.toxics)
            return state.connections.values.map(\.kick)
        }
        for kick in kicks { kick() }
    }

    // MARK: Connections and counters

    /// Wires an accepted connection (on its event loop): pipes both ways, then the upstream connection, then reads.
    private func accept(_ inbound: any Channel) throws {
        let loop = inbound.eventLoop
        let up = FaultPipe(direction: .upstream, proxy: self, eventLoop: loop)
        let down = FaultPipe(direction: .downstream, proxy: self, eventLoop: loop)
        up.source = inbound
        down.target = inbound
        let pipes = NIOLoopBound((up: up, down: down), eventLoop: loop)
        let id = state.withLock { state in
            let id = state.nextID
            state.nextID += 1
            state.counters.connectionsAccepted += 1
            state.counters.connectionsOpen += 1
            state.connections[id] = Connection(channels: [inbound]) {
                loop.execute {
                    pipes.value.up.pump()
                    pipes.value.down.pump()
                }
            }
            return id
        }
        // The upstream is connected once the client's channel is active: a loopback connect can succeed at once,
        // before the accepted channel is registered, and would then see it inactive.
        try inbound.pipeline.syncOperations.addHandler(
            FaultRelayHandler(
                outgoing: up, incoming: down,
                onActive: { [self] in connectUpstream(for: inbound, id: id, pipes: pipes) },
                onClose: { [self] in
                    // The entry stays until the upstream side closes too: what the client sent before it went may
                    // still be held by a partition, and the heal must find it.
                    state.withLock { $0.counters.connectionsOpen -= 1 }
                }))
    }

    /// Connects the upstream for the accepted connection `id`, then lets the client's bytes flow.
    private func connectUpstream(
        for inbound: any Channel, id: Int, pipes: NIOLoopBound<(up: FaultPipe, down: FaultPipe)>
    ) {
        ClientBootstrap(group: inbound.eventLoop)
            .channelInitializer { outbound in
                outbound.eventLoop.makeCompletedFuture {
                    try outbound.pipeline.syncOperations.addHandler(
                        FaultRelayHandler(
                            outgoing: pipes.value.down, incoming: pipes.value.up,
                            onActive: { [self] in state.withLock { $0.counters.upstreamConnectionsOpen += 1 } },
                            onClose: { [self] in
                                state.withLock { state in
                                    state.counters.upstreamConnectionsOpen -= 1
                                    state.connections[id] = nil
                                }
                            }))
                }
            }
            .connect(host: upstream.host, port: upstream.port)
            .whenComplete { [self] result in
                switch result {
                case .success(let outbound):
                    pipes.value.up.target = outbound
                    pipes.value.down.source = outbound
                    state.withLock { $0.connections[id]?.channels.append(outbound) }
                    guard inbound.isActive else {
                        outbound.close(promise: nil)
                        return
                    }
                    inbound.setOption(.autoRead, value: true).whenSuccess { inbound.read() }
                case .failure:
                    state.withLock { $0.connections[id] = nil }
                    inbound.close(promise: nil)
                }
            }
    }

    func count(upstream bytes: Int) { state.withLock { $0.counters.bytesUpstream += bytes } }
    func count(downstream bytes: Int) { state.withLock { $0.counters.bytesDownstream += bytes } }
    func countReset() { state.withLock { $0.counters.resets += 1 } }
    func countCut() { state.withLock { $0.counters.cuts += 1 } }
}
