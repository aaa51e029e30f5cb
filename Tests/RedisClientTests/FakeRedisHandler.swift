import NIOCore
import RESP

/// One connection of a ``FakeRedisServer``: reads commands (RESP arrays of bulk strings) and answers each.
final class FakeRedisHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let server: FakeRedisServer
    private var connection = 0
    private var parser = RESPParser()
    private var received = ByteBuffer()

    init(server: FakeRedisServer) {
        self.server = server
    }

    func channelActive(context: ChannelHandlerContext) {
        connection = server.accepted()
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        server.closed(connection: connection)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        received.writeBuffer(&incoming)
        do {
            while let command = try parser.next(from: &received) {
                let words = command.array.map { $0.map { $0.string?.uppercased() ?? "" } } ?? []
                answer(words, context: context)
            }
        } catch {
            // The client under test sent something that is not a command: note it, so a test can fail on it.
            server.garbled()
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A reset from the client closing while we still write is expected here; channelInactive records the end.
        context.close(promise: nil)
    }

    private func answer(_ words: [String], context: ChannelHandlerContext) {
        let reply: [UInt8]
        switch words.first ?? "" {
        case "HELLO":
            // A RESP3 map, as Redis 7 answers; the client only needs a reply that is not an error.
            reply = Array("%2\r\n+server\r\n+fake\r\n+proto\r\n:3\r\n".utf8)
        case "PING":
            reply = Array("+PONG\r\n".utf8)
        case "GET":
            reply = server.replyToGet(on: connection)
        default:
            // AUTH, CLIENT SETNAME, SELECT and anything else: accepted.
            reply = Array("+OK\r\n".utf8)
        }
        var buffer = context.channel.allocator.buffer(capacity: reply.count)
        buffer.writeBytes(reply)
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }
}
