import IPWatcherTestSupport
import NIOCore
import NIOPosix
import RESP
import Synchronization

// A loopback server that passes the client's handshake and answers every script call with the same bytes, so a
// test can hand the worker a script reply no real Redis would send. This file declares no suite.

/// A fake Redis on 127.0.0.1 that answers `EVALSHA` and `EVAL` with ``scriptReply``, `HELLO` with a RESP3 map and
/// everything else with `+OK`.
final class CannedScriptReplyServer: Sendable {
    /// The port the server listens on.
    let port: Int
    /// The bytes sent in answer to every script call.
    let scriptReply: ByteBuffer
    private let channel: any Channel
    private let calls = Atomic<Int>(0)

    private init(port: Int, scriptReply: ByteBuffer, channel: any Channel) {
        self.port = port
        self.scriptReply = scriptReply
        self.channel = channel
    }

    /// Starts a server on a free loopback port, its connections on `group`.
    static func start(
        scriptReply: ByteBuffer, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> CannedScriptReplyServer {
        try await LoopbackServerChannel.start(
            group: group, server: { CannedScriptReplyServer(port: $1, scriptReply: scriptReply, channel: $0) },
            connectionHandler: { Handler(server: $0) })
    }

    /// `redis://127.0.0.1:<port>`.
    var url: String { "redis://127.0.0.1:\(port)" }

    /// How many script calls were answered.
    var scriptCalls: Int { calls.load(ordering: .relaxed) }

    /// Stops listening; connections still open are closed with it.
    func stop() async {
        try? await channel.close()
    }

    /// One connection: reads commands (RESP arrays of bulk strings) and answers each.
    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        private let server: CannedScriptReplyServer
        private var parser = RESPParser()
        private var received = ByteBuffer()

        init(server: CannedScriptReplyServer) {
            self.server = server
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var incoming = unwrapInboundIn(data)
            received.writeBuffer(&incoming)
            do {
                while let command = try parser.next(from: &received) {
                    var words = command.array?.makeIterator()
                    answer(words?.next()?.string?.uppercased() ?? "", context: context)
                }
            } catch {
                context.close(promise: nil)
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }

        private func answer(_ name: String, context: ChannelHandlerContext) {
            switch name {
            case "HELLO":
                let map = ByteBuffer(string: "%2\r\n+server\r\n+fake\r\n+proto\r\n:3\r\n")
                context.writeAndFlush(wrapOutboundOut(map), promise: nil)
            case "EVALSHA", "EVAL":
                server.calls.add(1, ordering: .relaxed)
                context.writeAndFlush(wrapOutboundOut(server.scriptReply), promise: nil)
            default:
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "+OK\r\n")), promise: nil)
            }
        }
    }
}
