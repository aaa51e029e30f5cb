import Logging
import NIOCore
import RESP

/// The channel handler of one Redis connection: writes requests, cuts replies out of the byte stream and
/// hands each to the request it answers, as ``RedisConnectionStateMachine`` decides.
///
/// All methods run on the channel's event loop. Requests arrive through ``submit(_:)`` rather than through
/// the pipeline's `write`, so a request made after the channel closed is failed here instead of being lost
/// in a pipeline that has no handler left to answer it.
final class RedisChannelHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// One request: bytes for one or more commands and the promise for their replies.
    struct Request {
        let id: UInt64
        let bytes: ByteBuffer
        let expectedReplies: Int
        let timeout: TimeAmount?
        /// What to call the request in a timeout error; nil derives the name of its first command from
        /// ``bytes``, only when a timeout actually happens.
        let commandName: String?
        let promise: EventLoopPromise<[RESPToken]>
    }

    /// What a waiting request needs when it completes.
    struct Waiting {
        let promise: EventLoopPromise<[RESPToken]>
        let timeoutTask: Scheduled<Void>?
    }

    private var stateMachine = RedisConnectionStateMachine<Waiting>()
    private var parser: RESPParser
    private var cumulation = ByteBuffer()
    private var context: ChannelHandlerContext?
    private let logger: Logger
    private let onPush: (@Sendable (RESPToken) -> Void)?
    /// Why the channel broke, from ``errorCaught(context:error:)``; a request made after the handler was removed
    /// is failed with it, so a refused TLS handshake is reported as such even when it ended the channel before
    /// the handshake's first command was submitted.
    private var breakReason: String?

    init(parserLimits: RESPParserLimits, logger: Logger, onPush: (@Sendable (RESPToken) -> Void)? = nil) {
        self.parser = RESPParser(limits: parserLimits)
        self.logger = logger
        self.onPush = onPush
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        fail(stateMachine.channelInactive(), with: .connectionClosed(reason: "connection closed"))
        self.context = nil
    }

    /// Writes a request and registers it for replies, or fails it at once when the connection is closed.
    func submit(_ request: Request) {
        guard let context else {
            let reason = breakReason.map { RedisError.closedEarlierPrefix + $0 } ?? "connection closed"
            request.promise.fail(RedisError.connectionClosed(reason: reason))
            return
        }
        var timeoutTask: Scheduled<Void>?
        if let timeout = request.timeout {
            let id = request.id
            let name = request.commandName
            let bytes = request.bytes
            let seconds = Double(timeout.nanoseconds) / 1e9
            let loopBoundSelf = NIOLoopBound(self, eventLoop: context.eventLoop)
            timeoutTask = context.eventLoop.scheduleTask(in: timeout) {
                let command = name ?? RESPCommand.name(of: bytes)
                loopBoundSelf.value.abandon(id: id, error: .timeout(command: command, seconds: seconds))
            }
        }
        let waiting = Waiting(promise: request.promise, timeoutTask: timeoutTask)
        switch stateMachine.send(id: request.id, expectedReplies: request.expectedReplies, request: waiting) {
        case .write:
            context.writeAndFlush(wrapOutboundOut(request.bytes), promise: nil)
            if request.expectedReplies == 0 {
                timeoutTask?.cancel()
                request.promise.succeed([])
            }
        case .fail(let error):
            timeoutTask?.cancel()
            request.promise.fail(error)
        }
    }

    /// Gives up on request `id` (timed out or cancelled); if it still waits, the connection closes.
    func abandon(id: UInt64, error: RedisError) {
        let action: RedisConnectionStateMachine<Waiting>.CloseAction
        if case .timeout = error {
            action = stateMachine.timedOut(id: id, error: error)
        } else {
            action = stateMachine.cancelled(id: id, error: error)
        }
        guard case .closeAndFail(let failures) = action else { return }
        logger.warning("closing Redis connection so replies stay in step with requests", metadata: ["reason": "\(error)"])
        for (waiting, failure) in failures {
            waiting.timeoutTask?.cancel()
            waiting.promise.fail(failure)
        }
        context?.close(promise: nil)
    }

    /// Closes after the requests in flight are answered.
    func closeGracefully() {
        switch stateMachine.closeGracefully() {
        case .closeNow: context?.close(promise: nil)
        case .waitForPending, .none: break
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if cumulation.readableBytes == 0 {
            cumulation = incoming
        } else {
            cumulation.writeBuffer(&incoming)
        }
        do {
            while let token = try parser.next(from: &cumulation) {
                handle(token, context: context)
            }
        } catch {
            let failure = RedisError.protocolViolation(error)
            logger.error("Redis sent bytes that are not RESP; closing the connection", metadata: ["error": "\(error)"])
            fail(stateMachine.failed(failure), with: failure)
            context.close(promise: nil)
            return
        }
        // Reclaim consumed space once it dominates, so a long-lived connection's buffer stays small.
        if cumulation.readerIndex > 64 * 1024 && cumulation.readerIndex > cumulation.readableBytes {
            cumulation.discardReadBytes()
        }
    }

    private func handle(_ token: RESPToken, context: ChannelHandlerContext) {
        switch stateMachine.receive(token) {
        case .none:
            break
        case .succeed(let waiting, let replies):
            waiting.timeoutTask?.cancel()
            waiting.promise.succeed(replies)
        case .succeedAndClose(let waiting, let replies):
            waiting.timeoutTask?.cancel()
            waiting.promise.succeed(replies)
            context.close(promise: nil)
        case .push(let token):
            if let onPush {
                onPush(token)
            } else {
                logger.debug("ignoring RESP3 push", metadata: ["push": "\(token)"])
            }
        case .closeAndFail(let requests, let error):
            logger.error("Redis sent a reply nobody asked for; closing the connection")
            fail(requests, with: error)
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(stateMachine.channelInactive(), with: .connectionClosed(reason: "connection lost"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        let reason = ChannelErrorDescription.describe(error)
        if breakReason == nil { breakReason = reason }
        let failure = RedisError.connectionClosed(reason: reason)
        logger.debug("Redis connection error", metadata: ["error": "\(error)"])
        fail(stateMachine.failed(failure), with: failure)
        context.close(promise: nil)
    }

    private func fail(_ requests: [Waiting], with error: RedisError) {
        for waiting in requests {
            waiting.timeoutTask?.cancel()
            waiting.promise.fail(error)
        }
    }
}
