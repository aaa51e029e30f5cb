import Logging
import NIOCore
import NIOEmbedded
import RESP
import Synchronization
import Testing

@testable import RedisClient

/// Records how a request's future completed; on an `EmbeddedEventLoop` that happens synchronously.
private final class ReplyProbe {
    private(set) var result: Result<[RESPToken], any Error>?

    init(_ future: EventLoopFuture<[RESPToken]>) {
        future.assumeIsolated().whenComplete { result in self.result = result }
    }

    var isPending: Bool { result == nil }

    var replies: [RESPToken]? {
        guard case .success(let replies) = result else { return nil }
        return replies
    }

    var error: RedisError? {
        guard case .failure(let error) = result else { return nil }
        return error as? RedisError
    }

    var isConnectionClosed: Bool {
        guard case .connectionClosed = error else { return false }
        return true
    }

    /// The parsing error code when the request failed with a protocol violation.
    var protocolViolation: RESPParsingError.Code? {
        guard case .protocolViolation(let parsingError) = error else { return nil }
        return parsingError.code
    }
}

/// Pushes handed to the handler's `onPush`, in arrival order.
private final class PushCollector: Sendable {
    private let storage = Mutex<[RESPToken]>([])
    func append(_ token: RESPToken) { storage.withLock { $0.append(token) } }
    var tokens: [RESPToken] { storage.withLock { $0 } }
}

/// A ``RedisChannelHandler`` in a connected `EmbeddedChannel`.
private final class Harness {
    let channel: EmbeddedChannel
    let handler: RedisChannelHandler
    private var nextID: UInt64 = 0

    init(limits: RESPParserLimits = RESPParserLimits(), onPush: (@Sendable (RESPToken) -> Void)? = nil) throws {
        let logger = Logger(label: "RedisChannelHandlerTests", factory: { _ in SwiftLogNoOpLogHandler() })
        handler = RedisChannelHandler(parserLimits: limits, logger: logger, onPush: onPush)
        channel = EmbeddedChannel(handler: handler)
        channel.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 6379), promise: nil)
    }

    /// Submits raw request bytes; ids count up from 1.
    func submit(
        bytes: ByteBuffer, expectedReplies: Int = 1, timeout: TimeAmount? = nil, commandName: String = "GET"
    ) -> (id: UInt64, probe: ReplyProbe) {
        nextID += 1
        let promise = channel.eventLoop.makePromise(of: [RESPToken].self)
        let probe = ReplyProbe(promise.futureResult)
        handler.submit(
            RedisChannelHandler.Request(
                id: nextID, bytes: bytes, expectedReplies: expectedReplies, timeout: timeout,
                commandName: commandName, promise: promise))
        return (nextID, probe)
    }

    func submit(_ command: RESPCommand, timeout: TimeAmount? = nil) -> ReplyProbe {
        submit(bytes: command.bytes, timeout: timeout, commandName: command.name).probe
    }

    func written() throws -> ByteBuffer? {
        try channel.readOutbound(as: ByteBuffer.self)
    }

    func feed(_ text: String) throws {
        try channel.writeInbound(ByteBuffer(string: text))
    }

    func feed(bytes: [UInt8]) throws {
        try channel.writeInbound(ByteBuffer(bytes: bytes))
    }

    /// Closes the channel (failing whatever still waits) and runs the loop's remaining work.
    func finish() {
        _ = try? channel.finish(acceptAlreadyClosed: true)
    }
}

private func token(_ text: String) throws -> RESPToken {
    try RESPToken(validating: ByteBuffer(string: text))
}

private struct InjectedError: Error, CustomStringConvertible {
    var description: String { "injected socket failure" }
}

@Suite struct RedisChannelHandlerTests {
    // MARK: Writing

    @Test func submitWritesTheEncodedCommandBytes() throws {
        let harness = try Harness()
        defer { harness.finish() }
        let command = RESPCommand("GET", "key")
        let probe = harness.submit(command)

        let written = try #require(try harness.written())
        #expect(written == command.bytes)
        #expect(String(buffer: written) == "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n")
        #expect(probe.isPending)
        #expect(try harness.written() == nil)
    }

    @Test func pipelineIsWrittenAsOneBufferAndCompletesWithAllRepliesInOrder() throws {
        let harness = try Harness()
        defer { harness.finish() }
        var encoder = RESPCommandEncoder()
        encoder.encode("SET", "a", "1")
        encoder.encode("INCR", "n")
        encoder.encode("GET", "a")
        let (_, probe) = harness.submit(bytes: encoder.buffer, expectedReplies: 3, commandName: "pipeline")

        #expect(try harness.written() == encoder.buffer)
        #expect(try harness.written() == nil)

        try harness.feed("+OK\r\n:7\r\n")
        #expect(probe.isPending)
        try harness.feed("$1\r\n1\r\n")
        let expected = try [token("+OK\r\n"), token(":7\r\n"), token("$1\r\n1\r\n")]
        #expect(probe.replies == expected)
    }

    // MARK: Reading

    @Test func replyCompletesTheWaitingRequest() throws {
        let harness = try Harness()
        defer { harness.finish() }
        let probe = harness.submit(RESPCommand("GET", "key"))

        try harness.feed("$5\r\nhello\r\n")
        let replies = try #require(probe.replies)
        #expect(replies.count == 1)
        #expect(replies.first?.string == "hello")
        #expect(harness.channel.isActive)
    }

    @Test func replySplitAcrossTwoReadsCompletesAfterTheSecond() throws {
        let harness = try Harness()
        defer { harness.finish() }
        let probe = harness.submit(RESPCommand("GET", "key"))

        try harness.feed("$11\r\nhello")
        #expect(probe.isPending)
        try harness.feed(" world\r\n")
        #expect(probe.replies?.first?.string == "hello world")
        #expect(harness.channel.isActive)
    }

    @Test func replySplitInsideItsTerminatorCompletesAfterTheLastByte() throws {
        let harness = try Harness()
        defer { harness.finish() }
        let probe = harness.submit(RESPCommand("INCR", "n"))

        try harness.feed(":42\r")
        #expect(probe.isPending)
        try harness.feed("\n")
        #expect(probe.replies?.first?.int == 42)
    }

    @Test func twoRepliesInOneReadCompleteTwoRequestsInOrder() throws {
        let harness = try Harness()
        defer { harness.finish() }
        let first = harness.submit(RESPCommand("GET", "a"))
        let second = harness.submit(RESPCommand("GET", "b"))

        try harness.feed("$1\r\nA\r\n$1\r\nB\r\n")
        #expect(first.replies?.map(\.string) == ["A"])
        #expect(second.replies?.map(\.string) == ["B"])
    }

    @Test func repliesFedOneByteAtATimeCompleteEachRequestOnItsLastByte() throws {
        let harness = try Harness()
        defer { harness.finish() }
        let first = harness.submit(RESPCommand("GET", "a"))
        let second = harness.submit(RESPCommand("LRANGE", "l", 0, -1))
        let firstReply = Array("$5\r\nhello\r\n".utf8)
        let secondReply = Array("*2\r\n:1\r\n+two\r\n".utf8)

        for (index, byte) in firstReply.enumerated() {
            #expect(first.isPending, "completed early, at byte \(index)")
            try harness.feed(bytes: [byte])
        }
        #expect(first.replies?.first?.string == "hello")
        for (index, byte) in secondReply.enumerated() {
            #expect(second.isPending, "completed early, at byte \(index)")
            try harness.feed(bytes: [byte])
        }
        let reply = try #require(second.replies?.first)
        #expect(reply == (try token("*2\r\n:1\r\n+two\r\n")))
        #expect(reply.array?.map(\.description) == ["(integer) 1", "\"two\""])
    }

    @Test func manyRepliesInUnalignedChunksAreAllDeliveredIntact() throws {
        let harness = try Harness()
        defer { harness.finish() }
        let count = 1000
        let payloads = (0..<count).map { index -> String in
            let letter = Character(Unicode.Scalar(UInt8(ascii: "a") + UInt8(index % 26)))
            return String(repeating: letter, count: 94) + String(100_000 + index)
        }
        let probes = (0..<count).map { _ in harness.submit(RESPCommand("GET", "k")) }
        var stream: [UInt8] = []
        for payload in payloads { stream += Array("$\(payload.utf8.count)\r\n\(payload)\r\n".utf8) }
        #expect(stream.count > 100 * 1024)

        var offset = 0
        while offset < stream.count {
            let end = min(offset + 997, stream.count)
            try harness.feed(bytes: Array(stream[offset..<end]))
            offset = end
        }
        for (probe, payload) in zip(probes, payloads) {
            #expect(probe.replies?.first?.string == payload)
        }
        #expect(harness.channel.isActive)
    }

    @Test func serverErrorReplyCompletesTheRequestAsATokenAndKeepsTheConnection() throws {
        let harness = try Harness()
        defer { harness.finish() }
        let failing = harness.submit(RESPCommand("LPUSH", "string-key", "x"))
        let next = harness.submit(RESPCommand("PING"))

        try harness.feed("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n+PONG\r\n")
        let reply = try #require(failing.replies?.first)
        #expect(reply.serverError?.code == "WRONGTYPE")
        #expect(next.replies?.first?.string == "PONG")
        #expect(harness.channel.isActive)
    }

    // MARK: RESP3 pushes

    @Test func pushInterleavedWithRepliesGoesToOnPushAndDoesNotTakeAReplySlot() throws {
        let pushes = PushCollector()
        let harness = try Harness(onPush: { pushes.append($0) })
        defer { harness.finish() }
        var encoder = RESPCommandEncoder()
        encoder.encode("INCR", "a")
        encoder.encode("INCR", "b")
        let (_, probe) = harness.submit(bytes: encoder.buffer, expectedReplies: 2)

        try harness.feed(":1\r\n>2\r\n+message\r\n+x\r\n")
        #expect(probe.isPending)
        try harness.feed(":2\r\n")
        let expected = try [token(":1\r\n"), token(":2\r\n")]
        #expect(probe.replies == expected)
        #expect(pushes.tokens == [try token(">2\r\n+message\r\n+x\r\n")])
        #expect(harness.channel.isActive)
    }

    @Test func pushWithoutOnPushIsIgnoredAndNotAnUnexpectedReply() throws {
        let harness = try Harness()
        defer { harness.finish() }
        try harness.feed(">3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n")
        #expect(harness.channel.isActive)
        let probe = harness.submit(RESPCommand("PING"))
        try harness.feed("+PONG\r\n")
        #expect(probe.replies?.first?.string == "PONG")
    }

    // MARK: Broken streams

    @Test func malformedBytesFailEveryPendingRequestWithAProtocolViolationAndCloseTheChannel() throws {
        let harness = try Harness()
        defer { harness.finish() }
        let first = harness.submit(RESPCommand("GET", "a"))
        let second = harness.submit(RESPCommand("GET", "b"))

        try harness.feed("?x\r\n")
        #expect(first.protocolViolation == .invalidTypeIdentifier)
        #expect(second.protocolViolation == .invalidTypeIdentifier)
        #expect(!harness.channel.isActive)
    }

    @Test func malformedBytesAfterAValidReplyFailOnlyTheRequestsStillWaiting() throws {
        let harness = try Harness()
        defer { harness.finish() }
        let first = harness.submit(RESPCommand("GET", "a"))
        let second = harness.submit(RESPCommand("GET", "b"))

        try harness.feed(":1\r\n?x\r\n")
        #expect(first.replies?.first?.int == 1)
        #expect(second.protocolViolation == .invalidTypeIdentifier)
        #expect(!harness.channel.isActive)
    }

    @Test func declaredBulkLengthOverTheLimitIsAProtocolViolationBeforeThePayloadArrives() throws {
        let harness = try Harness(limits: RESPParserLimits(maxBulkLength: 16))
        defer { harness.finish() }
        let probe = harness.submit(RESPCommand("GET", "big"))

        try harness.feed("$17\r\n")
        #expect(probe.protocolViolation == .lengthLimitExceeded)
        #expect(!harness.channel.isActive)
    }

    @Test func bulkStringExactlyAtTheLimitIsAccepted() throws {
        let harness = try Harness(limits: RESPParserLimits(maxBulkLength: 16))
        defer { harness.finish() }
        let probe = harness.submit(RESPCommand("GET", "key"))

        try harness.feed("$16\r\n0123456789abcdef\r\n")
        #expect(probe.replies?.first?.string == "0123456789abcdef")
        #expect(harness.channel.isActive)
    }

    @Test func replyWithNothingPendingClosesTheChannel() throws {
        let harness = try Harness()
        defer { harness.finish() }
        try harness.feed("+OK\r\n")
        #expect(!harness.channel.isActive)
        let late = harness.submit(RESPCommand("PING"))
        #expect(late.isConnectionClosed)
    }

    @Test func extraReplyBeyondThoseExpectedClosesTheChannelAfterCompletingTheRequest() throws {
        let harness = try Harness()
        defer { harness.finish() }
        let probe = harness.submit(RESPCommand("GET", "a"))

        try harness.feed(":1\r\n:2\r\n")
        #expect(probe.replies?.first?.int == 1)
        #expect(!harness.channel.isActive)
    }

    @Test func socketErrorFailsPendingRequestsWithConnectionClosedAndClosesTheChannel() throws {
        let harness = try Harness()
        defer { harness.finish() }
        let probe = harness.submit(RESPCommand("GET", "a"))

        harness.channel.pipeline.fireErrorCaught(InjectedError())
        guard case .connectionClosed(let reason) = probe.error else {
            Issue.record("expected connectionClosed, got \(String(describing: probe.result))")
            return
        }
        #expect(reason.contains("injected socket failure"))
        #expect(!harness.channel.isActive)
    }

    @Test func requestAfterASocketErrorClosedTheChannelIsFailedWithThatError() throws {
        // A refused TLS handshake can end the channel before the handshake's first command is submitted; that
        // command must still say why, not just "connection closed".
        let harness = try Harness()
        defer { harness.finish() }
        harness.channel.pipeline.fireErrorCaught(InjectedError())
        harness.channel.embeddedEventLoop.run()

        let probe = harness.submit(RESPCommand("HELLO", "3"))
        guard case .connectionClosed(let reason) = probe.error else {
            Issue.record("expected connectionClosed, got \(String(describing: probe.result))")
            return
        }
        #expect(reason.contains("injected socket failure"), "\(reason)")
        #expect(try harness.written() == nil)
    }

    // MARK: Timeouts and abandoned requests

    @Test func timeoutFailsTheRequestWithTimeoutFailsTheOthersAndClosesTheChannel() throws {
        let harness = try Harness()
        defer { harness.finish() }
        let slow = harness.submit(RESPCommand("GET", "k"), timeout: .milliseconds(100))
        let other = harness.submit(RESPCommand("GET", "j"))

        harness.channel.embeddedEventLoop.advanceTime(by: .milliseconds(99))
        #expect(slow.isPending)
        #expect(harness.channel.isActive)

        harness.channel.embeddedEventLoop.advanceTime(by: .milliseconds(2))
        guard case .timeout(let command, let seconds) = slow.error else {
            Issue.record("expected timeout, got \(String(describing: slow.result))")
            return
        }
        #expect(command == "GET")
        #expect(seconds == 0.1)
        #expect(other.isConnectionClosed)
        #expect(!harness.channel.isActive)
    }

    @Test func replyBeforeTheTimeoutCancelsIt() throws {
        let harness = try Harness()
        defer { harness.finish() }
        let probe = harness.submit(RESPCommand("GET", "k"), timeout: .milliseconds(100))

        try harness.feed("$1\r\nv\r\n")
        harness.channel.embeddedEventLoop.advanceTime(by: .milliseconds(500))
        #expect(probe.replies?.first?.string == "v")
        #expect(harness.channel.isActive)
        let next = harness.submit(RESPCommand("PING"))
        try harness.feed("+PONG\r\n")
        #expect(next.replies?.first?.string == "PONG")
    }

    @Test func abandoningAWaitingRequestFailsItAndClosesTheChannel() throws {
        let harness = try Harness()
        defer { harness.finish() }
        let (id, probe) = harness.submit(bytes: RESPCommand("BLPOP", "q", 0).bytes)
        let other = harness.submit(RESPCommand("PING"))

        harness.handler.abandon(id: id, error: .connectionClosed(reason: "the waiting task was cancelled"))
        guard case .connectionClosed(let reason) = probe.error else {
            Issue.record("expected connectionClosed, got \(String(describing: probe.result))")
            return
        }
        #expect(reason == "the waiting task was cancelled")
        #expect(other.isConnectionClosed)
        #expect(!harness.channel.isActive)
    }

    @Test func abandoningACompletedRequestKeepsTheConnection() throws {
        let harness = try Harness()
        defer { harness.finish() }
        let (id, probe) = harness.submit(bytes: RESPCommand("PING").bytes)
        try harness.feed("+PONG\r\n")

        harness.handler.abandon(id: id, error: .connectionClosed(reason: "cancelled"))
        #expect(probe.replies?.first?.string == "PONG")
        #expect(harness.channel.isActive)
    }

    // MARK: Closing

    @Test func submittingAfterTheChannelClosedFailsAtOnceWithConnectionClosedAndWritesNothing() throws {
        let harness = try Harness()
        defer { harness.finish() }
        harness.channel.close(promise: nil)
        harness.channel.embeddedEventLoop.run()

        let probe = harness.submit(RESPCommand("PING"), timeout: .seconds(1))
        #expect(probe.isConnectionClosed)
        #expect(try harness.written() == nil)
    }

    @Test func submittingBetweenCloseAndHandlerRemovalAlsoFailsWithConnectionClosed() throws {
        let harness = try Harness()
        defer { harness.finish() }
        harness.channel.close(promise: nil)

        let probe = harness.submit(RESPCommand("PING"))
        #expect(probe.isConnectionClosed)
        #expect(try harness.written() == nil)
    }

    @Test func closingTheChannelFailsPendingRequestsWithConnectionClosed() throws {
        let harness = try Harness()
        defer { harness.finish() }
        let first = harness.submit(RESPCommand("GET", "a"))
        let second = harness.submit(RESPCommand("GET", "b"), timeout: .seconds(5))

        harness.channel.close(promise: nil)
        harness.channel.embeddedEventLoop.run()
        #expect(first.isConnectionClosed)
        #expect(second.isConnectionClosed)
    }

    @Test func gracefulCloseWithNothingPendingClosesTheChannelAtOnce() throws {
        let harness = try Harness()
        defer { harness.finish() }
        harness.handler.closeGracefully()
        #expect(!harness.channel.isActive)
    }

    @Test func gracefulCloseWaitsForPendingRepliesRefusesNewRequestsThenCloses() throws {
        let harness = try Harness()
        defer { harness.finish() }
        let first = harness.submit(RESPCommand("GET", "a"))
        _ = try harness.written()

        harness.handler.closeGracefully()
        #expect(harness.channel.isActive)
        let refused = harness.submit(RESPCommand("GET", "b"))
        #expect(refused.isConnectionClosed)
        #expect(try harness.written() == nil)

        try harness.feed("$1\r\nA\r\n")
        #expect(first.replies?.first?.string == "A")
        #expect(!harness.channel.isActive)
    }
}
