import NIOCore

/// Hands the bytes read on one channel of a proxied connection to the pipe that carries them to the other channel,
/// and its close to that pipe too.
final class FaultRelayHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let outgoing: FaultPipe
    private let incoming: FaultPipe
    private let onActive: () -> Void
    private let onClose: () -> Void

    /// `outgoing` carries what this channel reads; `incoming` writes to this channel and stops when it closes.
    /// `onActive` runs once, when the channel becomes active (or at once, if it already is); `onClose` when it closes.
    init(
        outgoing: FaultPipe, incoming: FaultPipe, onActive: @escaping () -> Void = {},
        onClose: @escaping () -> Void = {}
    ) {
        self.outgoing = outgoing
        self.incoming = incoming
        self.onActive = onActive
        self.onClose = onClose
    }

    private var activated = false

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { activate() }
    }

    func channelActive(context: ChannelHandlerContext) {
        activate()
        context.fireChannelActive()
    }

    private func activate() {
        guard !activated else { return }
        activated = true
        onActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        outgoing.enqueue(unwrapInboundIn(data))
    }

    func channelInactive(context: ChannelHandlerContext) {
        incoming.stop()
        outgoing.enqueueClose()
        onClose()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
