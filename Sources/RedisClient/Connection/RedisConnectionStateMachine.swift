import NIOCore
import RESP

/// The rules of one connection, free of I/O: which request a reply belongs to, and what closing means for
/// requests still waiting.
///
/// Redis answers commands in the order it received them, so requests wait in a FIFO queue, each expecting a
/// known number of replies (one for a command, N for a pipeline). Anything that could put replies out of step
/// with requests — a timeout, a cancelled caller, a protocol violation, an unsolicited reply — closes the
/// connection and fails every waiting request, because a late reply would otherwise be handed to the next
/// command. `Request` is whatever the caller needs to complete a request (a promise in production, a plain
/// value in tests).
struct RedisConnectionStateMachine<Request> {
    private enum State {
        case active
        /// Closing gracefully: no new requests, the waiting ones still get their replies.
        case closing
        case closed(RedisError)
    }

    private struct Pending {
        let id: UInt64
        let expectedReplies: Int
        let request: Request
    }

    private var state: State = .active
    private var pending = CircularBuffer<Pending>(initialCapacity: 16)
    /// Replies collected so far for the request at the head of ``pending``; kept outside the queue so that
    /// appending never copies the array (a CircularBuffer element cannot be mutated in place).
    private var headReplies: [RESPToken] = []

    /// Number of requests waiting for replies.
    var pendingCount: Int { pending.count }

    /// Whether the connection takes new requests.
    var isActive: Bool {
        if case .active = state { return true }
        return false
    }

    enum SendAction {
        /// Write the request's bytes.
        case write
        /// Fail the request; nothing is written.
        case fail(RedisError)
    }

    /// A request is about to be written, expecting `expectedReplies` replies.
    ///
    /// A request expecting none (`SUBSCRIBE` on RESP3, whose confirmations arrive as pushes) is written
    /// without waiting for anything.
    mutating func send(id: UInt64, expectedReplies: Int, request: Request) -> SendAction {
        switch state {
        case .active:
            if expectedReplies == 0 { return .write }
            if pending.isEmpty { headReplies.reserveCapacity(expectedReplies) }
            pending.append(Pending(id: id, expectedReplies: expectedReplies, request: request))
            return .write
        case .closing:
            return .fail(.connectionClosed(reason: "the connection is closing"))
        case .closed(let error):
            return .fail(Self.closedError(error))
        }
    }

    enum ReplyAction {
        /// The reply was stored; the request it belongs to needs more.
        case none
        /// The request has all its replies.
        case succeed(Request, [RESPToken])
        /// The request has all its replies, and it was the last one a graceful close waited for.
        case succeedAndClose(Request, [RESPToken])
        /// An out-of-band RESP3 push (pub/sub message, tracking invalidation): it answers no request.
        case push(RESPToken)
        /// A reply nobody asked for: the stream cannot be trusted, close it.
        case closeAndFail([Request], RedisError)
    }

    /// A complete reply arrived.
    mutating func receive(_ token: RESPToken) -> ReplyAction {
        if token.type == .push || (token.type == .attribute && token.withoutAttributes.type == .push) {
            return .push(token)
        }
        guard let head = pending.first else {
            let error = RedisError.unexpectedReply(command: "(none)", reply: token.description)
            return .closeAndFail(close(with: error), error)
        }
        headReplies.append(token)
        guard headReplies.count == head.expectedReplies else { return .none }
        pending.removeFirst()
        let replies = headReplies
        headReplies = []
        if let next = pending.first { headReplies.reserveCapacity(next.expectedReplies) }
        if case .closing = state, pending.isEmpty {
            state = .closed(.shutdown)
            return .succeedAndClose(head.request, replies)
        }
        return .succeed(head.request, replies)
    }

    enum CloseAction {
        /// Nothing to do (for example the request already completed).
        case none
        /// Close the channel and fail these requests with the paired errors.
        case closeAndFail([(Request, RedisError)])
    }

    /// The request `id` ran out of time. If it is still waiting, the connection must close.
    mutating func timedOut(id: UInt64, error: RedisError) -> CloseAction {
        abandon(id: id, error: error, othersReason: "another command on this connection timed out")
    }

    /// The caller of request `id` stopped waiting (task cancelled). If it is still waiting, the connection must close.
    mutating func cancelled(id: UInt64, error: RedisError) -> CloseAction {
        abandon(id: id, error: error, othersReason: "another command on this connection was cancelled")
    }

    private mutating func abandon(id: UInt64, error: RedisError, othersReason: String) -> CloseAction {
        guard pending.contains(where: { $0.id == id }) else { return .none }
        let others = RedisError.connectionClosed(reason: othersReason)
        var failures: [(Request, RedisError)] = []
        failures.reserveCapacity(pending.count)
        for entry in pending { failures.append((entry.request, entry.id == id ? error : others)) }
        pending.removeAll()
        headReplies = []
        state = .closed(error)
        return .closeAndFail(failures)
    }

    /// The stream broke (protocol violation, TLS or socket error): fail everything and close.
    mutating func failed(_ error: RedisError) -> [Request] {
        close(with: error)
    }

    /// The channel went away; every waiting request fails.
    mutating func channelInactive() -> [Request] {
        if case .closed = state {
            return close(with: .connectionClosed(reason: "connection closed"))
        }
        return close(with: .connectionClosed(reason: "connection lost"))
    }

    enum GracefulCloseAction {
        /// Nothing waits: close the channel now.
        case closeNow
        /// Close once the waiting requests have their replies.
        case waitForPending
        /// Already closed.
        case none
    }

    /// The owner wants to close once the requests in flight are answered.
    mutating func closeGracefully() -> GracefulCloseAction {
        switch state {
        case .active:
            if pending.isEmpty {
                state = .closed(.shutdown)
                return .closeNow
            }
            state = .closing
            return .waitForPending
        case .closing:
            return .waitForPending
        case .closed:
            return .none
        }
    }

    /// Closes with `error` and hands back every waiting request.
    private mutating func close(with error: RedisError) -> [Request] {
        if case .active = state { state = .closed(error) }
        if case .closing = state { state = .closed(error) }
        let requests = pending.map(\.request)
        pending.removeAll()
        headReplies = []
        return requests
    }

    private static func closedError(_ error: RedisError) -> RedisError {
        switch error {
        case .shutdown: return .shutdown
        // The first reason as it is, as the handler words it for a request that comes after the channel is
        // gone: a connect can then report the same cause whichever of the two saw the close first.
        case .connectionClosed(let reason): return .connectionClosed(reason: RedisError.closedEarlierPrefix + reason)
        default: return .connectionClosed(reason: RedisError.closedEarlierPrefix + "\(error)")
        }
    }
}
