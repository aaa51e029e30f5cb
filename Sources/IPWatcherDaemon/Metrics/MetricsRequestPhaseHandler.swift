import NIOCore
import NIOHTTP1

/// Tells a metrics connection's ``MetricsConnectionGuard`` when a request is complete and when its response
/// is written, from behind the HTTP codec where both are visible as parts.
final class MetricsRequestPhaseHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let connectionGuard: MetricsConnectionGuard

    /// Creates the handler feeding `connectionGuard`.
    init(_ connectionGuard: MetricsConnectionGuard) {
        self.connectionGuard = connectionGuard
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: connectionGuard.requestHeadArrived()
        case .body: break
        case .end: connectionGuard.requestEnded()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let isEnd = if case .end = unwrapOutboundIn(data) { true } else { false }
        context.write(data, promise: promise)
        if isEnd { connectionGuard.responseEnded() }
    }

    func channelInactive(context: ChannelHandlerContext) {
        connectionGuard.closed()
        context.fireChannelInactive()
    }
}
