import NIOCore

/// Counts the raw bytes of a metrics connection before the HTTP decoder sees them, so that a request over
/// ``MetricsConnectionLimits/maxRequestBytes`` is refused before NIO's decoder buffers it, and so that the
/// first byte after a keep-alive pause starts the request deadline.
final class MetricsRequestBytesHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let connectionGuard: MetricsConnectionGuard
    private var refused = false

    /// Creates the handler feeding `connectionGuard`.
    init(_ connectionGuard: MetricsConnectionGuard) {
        self.connectionGuard = connectionGuard
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refused else { return }
        let buffer = unwrapInboundIn(data)
        guard connectionGuard.bytesArrived(buffer.readableBytes) else {
            refused = true
            refuse(context: context)
            return
        }
        context.fireChannelRead(data)
    }

    /// Answers a too-large request and closes. Written raw, below the HTTP encoder, since the decoder never
    /// produced a request to answer; skipped while a response is being written, which it would corrupt.
    private func refuse(context: ChannelHandlerContext) {
        guard connectionGuard.phase != .answering else {
            context.close(promise: nil)
            return
        }
        let status =
            connectionGuard.headArrived ? "413 Content Too Large" : "431 Request Header Fields Too Large"
        let body = "request too large\n"
        let response =
            "HTTP/1.1 \(status)\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: \(body.utf8.count)\r\n"
            + "Connection: close\r\n\r\n\(body)"
        let channel = context.channel
        let loop = context.eventLoop
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: response))).whenComplete { _ in
            // A lingering close: closing outright with the rest of the request unread makes the kernel send a
            // reset, which can destroy the answer before the client read it. Shut the write side instead, keep
            // dropping what arrives (channelRead above), and close once the client has closed or a second passed.
            channel.close(mode: .output, promise: nil)
            loop.scheduleTask(in: Self.lingering) { channel.close(promise: nil) }
        }
    }

    /// How long a refused connection may keep sending before it is closed outright.
    static let lingering: TimeAmount = .seconds(1)
}
