import NIOCore
import NIOPosix

/// A TCP server channel on 127.0.0.1 at a port the kernel picks, for the fake servers tests put in front of the
/// client (hostile replies, canned script replies).
public enum LoopbackServerChannel {
    /// Binds the server channel and returns it with its port; `initializeChild` sets up each accepted connection's
    /// pipeline (synchronously, on its event loop). Close the channel to stop listening.
    public static func bind(
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        initializeChild: @escaping @Sendable (any Channel) throws -> Void
    ) async throws -> (channel: any Channel, port: Int) {
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture { try initializeChild(child) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        guard let port = channel.localAddress?.port else {
            try? await channel.close()
            throw ChannelError.unknownLocalAddress
        }
        return (channel, port)
    }
}
