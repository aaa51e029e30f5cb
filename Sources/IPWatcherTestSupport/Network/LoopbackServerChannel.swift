import NIOCore
import NIOPosix
import Synchronization

/// A TCP server channel on 127.0.0.1 at a port the kernel picks, for the fake servers tests put in front of the
/// client (hostile replies, canned script replies).
public enum LoopbackServerChannel {
    /// Binds the server channel, makes the fake server from it and its port, and gives every accepted
    /// connection the handler `connectionHandler` makes for that server. Close the channel to stop listening.
    ///
    /// A connection accepted before the server object exists (possible only in the instant between bind and
    /// return) is closed.
    public static func start<Server: Sendable>(
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        server makeServer: (_ channel: any Channel, _ port: Int) -> Server,
        connectionHandler: @escaping @Sendable (Server) -> any ChannelHandler
    ) async throws -> Server {
        let box = Mutex<Server?>(nil)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    guard let server = box.withLock({ $0 }) else { throw ChannelError.ioOnClosedChannel }
                    try child.pipeline.syncOperations.addHandler(connectionHandler(server))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        guard let port = channel.localAddress?.port else {
            try? await channel.close()
            throw ChannelError.unknownLocalAddress
        }
        let server = makeServer(channel, port)
        box.withLock { $0 = server }
        return server
    }
}
