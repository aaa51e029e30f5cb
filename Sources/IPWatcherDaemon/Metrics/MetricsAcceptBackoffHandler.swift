#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import NIOCore

/// Stops the metrics listener accepting for a moment when `accept` fails for want of descriptors or memory,
/// instead of retrying at once.
///
/// The failed connection stays in the listen backlog, so the listening socket stays readable and the event
/// loop would call `accept` again straight away: about 50,000 failed `accept4` in 3 s, most of a core, in
/// a test with the descriptor limit at 48. NIO's own `AcceptBackoffHandler` does not stop that in NIO 2.101:
/// it holds back the next `read()`, but after a failed accept the server channel still counts a read as
/// pending and never asks for one, so the socket stays registered for reading. Turning `autoRead` off
/// unregisters it; turning it back on after ``pause`` re-registers it.
final class MetricsAcceptBackoffHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = any Channel

    /// How long accepting pauses after a failure.
    let pause: TimeAmount
    private let logger: Logger
    private var resumption: Scheduled<Void>?
    private var lastWarning: NIODeadline?

    /// Creates the handler, pausing for `pause` and warning through `logger` at most once a minute.
    init(pause: TimeAmount, logger: Logger) {
        self.pause = pause
        self.logger = logger
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let ioError = error as? IOError, [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(ioError.errnoCode) else {
            context.fireErrorCaught(error)
            return
        }
        guard resumption == nil, let options = context.channel.syncOptions else { return }
        let now = NIODeadline.now()
        if lastWarning.map({ now - $0 >= .minutes(1) }) ?? true {
            lastWarning = now
            logger.warning(
                "metrics endpoint cannot accept connections; pausing accept",
                metadata: ["error": "\(ioError)", "pause_ms": "\(pause.nanoseconds / 1_000_000)"])
        }
        try? options.setOption(.autoRead, value: false)
        resumption = context.eventLoop.assumeIsolated().scheduleTask(in: pause) {
            self.resumption = nil
            try? options.setOption(.autoRead, value: true)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        resumption?.cancel()
        resumption = nil
        context.fireChannelInactive()
    }
}
