import NIOCore
import NIOHTTP1

/// Answers the requests of one metrics connection on its event loop, keeping it open as the client asks.
///
/// Both answers are computed synchronously and in well under a millisecond, so a task per connection would
/// only add cost — the cost a flood of connections multiplies.
final class MetricsRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let routes: MetricsRoutes
    private var request: HTTPRequestHead?

    /// Creates the handler answering with `routes`.
    init(routes: MetricsRoutes) {
        self.routes = routes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            request = head
        case .body:
            // No path takes a body; it is read and dropped.
            break
        case .end:
            guard let head = request else { return }
            request = nil
            let parts = routes.respond(to: head).parts(for: head)
            for part in parts.dropLast() { context.write(wrapOutboundOut(part), promise: nil) }
            guard let end = parts.last else { return }
            let written = context.writeAndFlush(wrapOutboundOut(end))
            if !head.isKeepAlive {
                let channel = context.channel
                written.whenComplete { _ in channel.close(promise: nil) }
            }
        }
    }
}
