import NIOCore
import NIOPosix
import Synchronization

// A byte-exact TCP client for the metrics endpoint's limits. This file declares no suite.

/// One TCP connection to 127.0.0.1 that sends exactly the bytes a test gives (half a request, nothing at all)
/// and keeps what the server sends back, so a test can see when and how the server ended it.
final class RawTestConnection: Sendable {
    /// Collects the server's bytes.
    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let bytes = Mutex(ByteBuffer())

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            bytes.withLock { _ = $0.writeBuffer(&buffer) }
        }
    }

    /// The client side of the connection; inactive once either side closed it.
    let channel: any Channel
    private let collector: Collector

    private init(channel: any Channel, collector: Collector) {
        self.channel = channel
        self.collector = collector
    }

    /// Connects to 127.0.0.1:`port` on `group`.
    static func open(
        port: Int, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> RawTestConnection {
        let collector = Collector()
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return RawTestConnection(channel: channel, collector: collector)
    }

    /// Sends `text` as it is.
    func send(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text))
    }

    /// Everything the server sent so far.
    var received: String { collector.bytes.withLock { String(buffer: $0) } }

    /// Whether the connection is still open.
    var isOpen: Bool { channel.isActive }

    /// How long, from `start` (by default now), the server took to close the connection; nil if it was still
    /// open `limit` after `start`.
    ///
    /// To check that a deadline did not fire early, pass a `start` taken before whatever starts the server's
    /// timer (the connect, the request): the client notices events later than the server, never earlier.
    func closeDelay(
        since start: ContinuousClock.Instant = .now, within limit: Duration
    ) async throws -> Duration? {
        while channel.isActive {
            guard ContinuousClock.now - start < limit else { return nil }
            try await Task.sleep(for: .milliseconds(5))
        }
        return ContinuousClock.now - start
    }

    /// Closes the client side.
    func close() async {
        try? await channel.close()
    }
}
