import Logging
import NIOCore
import NIOPosix
import RESP
import Synchronization

/// One connection to a Redis server: pipelined, ordered, and closed rather than ever letting replies drift
/// out of step with requests.
///
/// Commands from any number of tasks may be in flight at once; Redis answers in order and the connection
/// matches replies to requests in the same order. Connection state such as `WATCH`, `MULTI` or a selected
/// database belongs to the connection, so code that uses `WATCH` should own one (see ``RedisServerClient`` for a
/// shared, reconnecting client).
public final class RedisConnection: RedisCommandExecutor {
    /// The underlying NIO channel.
    public let channel: any Channel
    /// The protocol agreed in the handshake: 3 for RESP3, 2 for RESP2.
    public let protocolVersion: Int
    /// The endpoint this connection talks to.
    public let endpoint: RedisEndpoint
    let handler: NIOLoopBound<RedisChannelHandler>
    let configuration: RedisConnectionConfiguration
    private let nextRequestID = Atomic<UInt64>(1)

    init(
        channel: any Channel, handler: NIOLoopBound<RedisChannelHandler>, endpoint: RedisEndpoint,
        configuration: RedisConnectionConfiguration, protocolVersion: Int
    ) {
        self.channel = channel
        self.handler = handler
        self.endpoint = endpoint
        self.configuration = configuration
        self.protocolVersion = protocolVersion
    }

    /// Completes when the connection has closed, for whatever reason.
    public var closeFuture: EventLoopFuture<Void> { channel.closeFuture }

    /// Whether the channel is still open.
    public var isActive: Bool { channel.isActive }

    public func send(_ command: RESPCommand, timeout: Duration? = nil) async throws -> RESPToken {
        let replies = try await submit(
            bytes: command.bytes, expectedReplies: 1, timeout: timeout, commandName: nil)
        guard let reply = replies.first else {
            throw RedisError.unexpectedReply(command: command.name, reply: "no reply")
        }
        return try reply.withoutAttributes.throwingServerError()
    }

    public func pipeline(_ commands: RESPCommandEncoder, timeout: Duration? = nil) async throws -> [RESPToken] {
        guard commands.commandCount > 0 else { return [] }
        return try await submit(
            bytes: commands.buffer, expectedReplies: commands.commandCount, timeout: timeout,
            commandName: "pipeline of \(commands.commandCount) commands")
    }

    /// Runs a command that blocks on the server (`BLPOP`, `BLMPOP`, `BLMOVE`) for up to `blockFor`.
    ///
    /// The reply may take the whole block time, so the client waits that long plus the command timeout.
    public func sendBlocking(_ command: RESPCommand, blockFor: Duration) async throws -> RESPToken {
        try await send(command, timeout: blockFor + configuration.commandTimeout)
    }

    /// Subscribes to pub/sub channels; messages arrive as RESP3 pushes at the `onPush` callback given to
    /// ``connect(to:configuration:eventLoopGroup:logger:onPush:)``.
    ///
    /// Needs a RESP3 connection (``protocolVersion`` 3), where subscription replies are pushes and the
    /// connection stays usable for other commands; on RESP2 it throws.
    public func subscribe(_ channels: [String]) async throws {
        guard protocolVersion == 3 else {
            throw RedisError.unexpectedReply(command: "SUBSCRIBE", reply: "pub/sub needs a RESP3 connection")
        }
        let command = RESPCommand("SUBSCRIBE", channels)
        _ = try await submit(bytes: command.bytes, expectedReplies: 0, timeout: nil, commandName: "SUBSCRIBE")
    }

    /// Subscribes as ``subscribe(_:)`` does, then waits until `isConfirmed` is true, for at most the connect
    /// timeout.
    ///
    /// The confirmation is a push, which only the `onPush` callback sees: `isConfirmed` reads the flag that
    /// callback sets on the `subscribe` push. Waiting for it means no message published after this returns
    /// can be missed.
    public func subscribe(_ channels: [String], confirmedWhen isConfirmed: () -> Bool) async throws {
        try await subscribe(channels)
        let deadline = ContinuousClock.now.advanced(by: configuration.connectTimeout)
        while !isConfirmed() {
            guard ContinuousClock.now < deadline else {
                throw RedisError.timeout(command: "SUBSCRIBE", seconds: configuration.connectTimeout.seconds)
            }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Closes once the commands in flight have their replies; new commands fail from now on.
    public func close() async {
        let handler = self.handler
        channel.eventLoop.execute { handler.value.closeGracefully() }
        try? await channel.closeFuture.get()
    }

    /// Closes at once; commands in flight fail with ``RedisError/connectionClosed(reason:)``.
    public func closeNow() async {
        try? await channel.close()
    }

    private func submit(bytes: ByteBuffer, expectedReplies: Int, timeout: Duration?, commandName: String?)
        async throws -> [RESPToken]
    {
        let id = nextRequestID.wrappingAdd(1, ordering: .relaxed).oldValue
        let eventLoop = channel.eventLoop
        let promise = eventLoop.makePromise(of: [RESPToken].self)
        let request = RedisChannelHandler.Request(
            id: id, bytes: bytes, expectedReplies: expectedReplies,
            timeout: TimeAmount(timeout ?? configuration.commandTimeout), commandName: commandName, promise: promise)
        let handler = self.handler
        if eventLoop.inEventLoop {
            handler.value.submit(request)
        } else {
            eventLoop.execute { handler.value.submit(request) }
        }
        return try await withTaskCancellationHandler {
            try await promise.futureResult.get()
        } onCancel: {
            eventLoop.execute {
                handler.value.abandon(id: id, error: .connectionClosed(reason: "the waiting task was cancelled"))
            }
        }
    }
}

extension TimeAmount {
    /// Converts a Swift `Duration`, saturating at the largest TimeAmount.
    init(_ duration: Duration) {
        let parts = duration.components
        let (nanos, overflow) = parts.seconds.multipliedReportingOverflow(by: 1_000_000_000)
        self = overflow ? .nanoseconds(.max) : .nanoseconds(nanos + parts.attoseconds / 1_000_000_000)
    }
}
