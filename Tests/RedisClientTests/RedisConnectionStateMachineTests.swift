import IPWatcherTestSupport
import NIOCore
import RESP
import Testing

@testable import RedisClient

private typealias Machine = RedisConnectionStateMachine<String>

private func token(_ text: String) throws -> RESPToken {
    try RESPToken(validating: ByteBuffer(string: text))
}

private let timeoutError = RedisError.timeout(command: "GET", seconds: 0.1)
private let cancelledError = RedisError.connectionClosed(reason: "the waiting task was cancelled")

/// Sends `request` and records an issue unless the machine says to write it.
private func expectWrite(
    _ machine: inout Machine, id: UInt64, expectedReplies: Int = 1, _ request: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    guard case .write = machine.send(id: id, expectedReplies: expectedReplies, request: request) else {
        Issue.record("expected .write for \(request)", sourceLocation: sourceLocation)
        return
    }
}

/// The request and replies of a `.succeed` action, or nil after recording an issue.
private func succeeded(
    _ action: Machine.ReplyAction, sourceLocation: SourceLocation = #_sourceLocation
) -> (request: String, replies: [RESPToken])? {
    guard case .succeed(let request, let replies) = action else {
        Issue.record("expected .succeed, got \(action)", sourceLocation: sourceLocation)
        return nil
    }
    return (request, replies)
}

private func isNone(_ action: Machine.ReplyAction) -> Bool {
    if case .none = action { return true }
    return false
}

private func isNone(_ action: Machine.CloseAction) -> Bool {
    if case .none = action { return true }
    return false
}

private func isNone(_ action: Machine.GracefulCloseAction) -> Bool {
    if case .none = action { return true }
    return false
}

private func isConnectionClosed(_ error: RedisError) -> Bool {
    if case .connectionClosed = error { return true }
    return false
}

private func isTimeout(_ error: RedisError) -> Bool {
    if case .timeout(command: "GET", seconds: 0.1) = error { return true }
    return false
}

private func isShutdown(_ error: RedisError) -> Bool {
    if case .shutdown = error { return true }
    return false
}

/// The error of a `.fail` send action, or nil.
private func sendFailure(_ action: Machine.SendAction) -> RedisError? {
    if case .fail(let error) = action { return error }
    return nil
}

@Suite struct RedisConnectionStateMachineTests {
    @Test func newMachineIsActiveWithNothingPending() {
        let machine = Machine()
        #expect(machine.isActive)
        #expect(machine.pendingCount == 0)
    }

    @Test func sendWhileActiveWritesAndQueuesTheRequest() {
        var machine = Machine()
        expectWrite(&machine, id: 1, "GET a")
        expectWrite(&machine, id: 2, "GET b")
        #expect(machine.pendingCount == 2)
        #expect(machine.isActive)
    }

    @Test func repliesCompleteRequestsInFIFOOrder() throws {
        var machine = Machine()
        expectWrite(&machine, id: 1, "first")
        expectWrite(&machine, id: 2, "second")
        expectWrite(&machine, id: 3, "third")

        for (index, name) in ["first", "second", "third"].enumerated() {
            let reply = try token(":\(index + 1)\r\n")
            let done = try #require(succeeded(machine.receive(reply)))
            #expect(done.request == name)
            #expect(done.replies == [reply])
            #expect(machine.pendingCount == 2 - index)
        }
        #expect(machine.isActive)
    }

    @Test func pipelineRequestCompletesOnlyAfterItsLastReplyWithRepliesInOrder() throws {
        var machine = Machine()
        expectWrite(&machine, id: 1, expectedReplies: 3, "pipeline")
        expectWrite(&machine, id: 2, "after")
        let replies = try [token("+OK\r\n"), token(":2\r\n"), token("$3\r\nxyz\r\n")]

        #expect(isNone(machine.receive(replies[0])))
        #expect(isNone(machine.receive(replies[1])))
        #expect(machine.pendingCount == 2)
        let done = try #require(succeeded(machine.receive(replies[2])))
        #expect(done.request == "pipeline")
        #expect(done.replies == replies)

        let next = try token(":4\r\n")
        let after = try #require(succeeded(machine.receive(next)))
        #expect(after.request == "after")
        #expect(after.replies == [next])
    }

    @Test func consecutivePipelinesSplitRepliesAtTheirBoundaries() throws {
        var machine = Machine()
        expectWrite(&machine, id: 1, expectedReplies: 2, "a")
        expectWrite(&machine, id: 2, expectedReplies: 2, "b")
        let replies = try (1...4).map { try token(":\($0)\r\n") }

        #expect(isNone(machine.receive(replies[0])))
        let a = try #require(succeeded(machine.receive(replies[1])))
        #expect(a.request == "a")
        #expect(a.replies == Array(replies[0..<2]))
        #expect(isNone(machine.receive(replies[2])))
        let b = try #require(succeeded(machine.receive(replies[3])))
        #expect(b.request == "b")
        #expect(b.replies == Array(replies[2..<4]))
    }

    @Test func pushInterleavedWithRepliesIsReturnedAsPushAndTakesNoPendingSlot() throws {
        var machine = Machine()
        expectWrite(&machine, id: 1, expectedReplies: 2, "pipeline")
        let push = try token(">2\r\n+message\r\n+x\r\n")
        let first = try token(":1\r\n")
        let second = try token(":2\r\n")

        #expect(isNone(machine.receive(first)))
        guard case .push(let pushed) = machine.receive(push) else {
            Issue.record("expected .push")
            return
        }
        #expect(pushed == push)
        #expect(machine.pendingCount == 1)
        let done = try #require(succeeded(machine.receive(second)))
        #expect(done.replies == [first, second])
    }

    @Test func pushWithNothingPendingIsNotAnUnexpectedReply() throws {
        var machine = Machine()
        let push = try token(">2\r\n+message\r\n+x\r\n")
        guard case .push = machine.receive(push) else {
            Issue.record("expected .push")
            return
        }
        #expect(machine.isActive)
        expectWrite(&machine, id: 1, "PING")
    }

    @Test func errorRepliesAreOrdinaryRepliesForTheMachine() throws {
        var machine = Machine()
        expectWrite(&machine, id: 1, "bad")
        let error = try token("-ERR unknown command\r\n")
        let done = try #require(succeeded(machine.receive(error)))
        #expect(done.replies == [error])
        #expect(machine.isActive)
    }

    @Test func replyWithNothingPendingClosesWithUnexpectedReply() throws {
        var machine = Machine()
        guard case .closeAndFail(let requests, let error) = machine.receive(try token(":1\r\n")) else {
            Issue.record("expected .closeAndFail")
            return
        }
        #expect(requests.isEmpty)
        guard case .unexpectedReply = error else {
            Issue.record("expected unexpectedReply, got \(error)")
            return
        }
        #expect(!machine.isActive)
        let failure = try #require(sendFailure(machine.send(id: 1, expectedReplies: 1, request: "late")))
        #expect(isConnectionClosed(failure))
    }

    @Test func extraReplyAfterTheLastPendingRequestClosesTheConnection() throws {
        var machine = Machine()
        expectWrite(&machine, id: 1, "only")
        _ = try #require(succeeded(machine.receive(try token(":1\r\n"))))
        guard case .closeAndFail(let requests, .unexpectedReply) = machine.receive(try token(":2\r\n")) else {
            Issue.record("expected .closeAndFail with unexpectedReply")
            return
        }
        #expect(requests.isEmpty)
        #expect(!machine.isActive)
    }

    // MARK: Timeouts and cancellation

    @Test func timeoutOfAPendingRequestFailsItWithTheTimeoutAndTheOthersAsClosed() throws {
        var machine = Machine()
        expectWrite(&machine, id: 1, "one")
        expectWrite(&machine, id: 2, "two")
        expectWrite(&machine, id: 3, "three")

        guard case .closeAndFail(let failures) = machine.timedOut(id: 2, error: timeoutError) else {
            Issue.record("expected .closeAndFail")
            return
        }
        #expect(failures.map { $0.0 } == ["one", "two", "three"])
        #expect(isConnectionClosed(failures[0].1))
        #expect(isTimeout(failures[1].1))
        #expect(isConnectionClosed(failures[2].1))
        #expect(machine.pendingCount == 0)
        #expect(!machine.isActive)

        let failure = try #require(sendFailure(machine.send(id: 4, expectedReplies: 1, request: "four")))
        #expect(isConnectionClosed(failure))
        #expect(machine.pendingCount == 0)
    }

    @Test func timeoutOfAnAlreadyCompletedRequestDoesNothing() throws {
        var machine = Machine()
        expectWrite(&machine, id: 1, "one")
        expectWrite(&machine, id: 2, "two")
        _ = try #require(succeeded(machine.receive(try token(":1\r\n"))))

        #expect(isNone(machine.timedOut(id: 1, error: timeoutError)), "expected .none")
        #expect(machine.isActive)
        #expect(machine.pendingCount == 1)
        let done = try #require(succeeded(machine.receive(try token(":2\r\n"))))
        #expect(done.request == "two")
        expectWrite(&machine, id: 3, "three")
    }

    @Test func timeoutOfAnUnknownIDDoesNothing() {
        var machine = Machine()
        expectWrite(&machine, id: 1, "one")
        #expect(isNone(machine.timedOut(id: 99, error: timeoutError)), "expected .none")
        #expect(machine.isActive)
        #expect(machine.pendingCount == 1)
    }

    @Test func cancellingAPendingRequestFailsItWithItsErrorAndTheOthersAsClosed() throws {
        var machine = Machine()
        expectWrite(&machine, id: 1, "one")
        expectWrite(&machine, id: 2, "two")

        guard case .closeAndFail(let failures) = machine.cancelled(id: 1, error: cancelledError) else {
            Issue.record("expected .closeAndFail")
            return
        }
        #expect(failures.map { $0.0 } == ["one", "two"])
        guard case .connectionClosed(let ownReason) = failures[0].1,
            case .connectionClosed(let otherReason) = failures[1].1
        else {
            Issue.record("expected connectionClosed for both, got \(failures.map { $0.1 })")
            return
        }
        #expect(ownReason == "the waiting task was cancelled")
        #expect(otherReason.contains("cancelled"))
        #expect(!machine.isActive)
        #expect(sendFailure(machine.send(id: 3, expectedReplies: 1, request: "three")) != nil)
    }

    @Test func cancellingAnAlreadyCompletedRequestDoesNothing() throws {
        var machine = Machine()
        expectWrite(&machine, id: 1, "one")
        _ = try #require(succeeded(machine.receive(try token(":1\r\n"))))
        #expect(isNone(machine.cancelled(id: 1, error: cancelledError)), "expected .none")
        #expect(machine.isActive)
        expectWrite(&machine, id: 2, "two")
    }

    @Test func timeoutAfterTheConnectionClosedDoesNothing() {
        var machine = Machine()
        expectWrite(&machine, id: 1, "one")
        _ = machine.channelInactive()
        #expect(isNone(machine.timedOut(id: 1, error: timeoutError)), "expected .none")
    }

    @Test func replyArrivingAfterATimeoutClosedTheMachineIsUnexpected() throws {
        var machine = Machine()
        expectWrite(&machine, id: 1, "one")
        _ = machine.timedOut(id: 1, error: timeoutError)
        guard case .closeAndFail(let requests, .unexpectedReply) = machine.receive(try token(":1\r\n")) else {
            Issue.record("expected .closeAndFail with unexpectedReply")
            return
        }
        #expect(requests.isEmpty)
    }

    // MARK: Graceful close

    @Test func gracefulCloseWithNothingPendingClosesNowAndLaterSendsFailWithShutdown() throws {
        var machine = Machine()
        guard case .closeNow = machine.closeGracefully() else {
            Issue.record("expected .closeNow")
            return
        }
        #expect(!machine.isActive)
        let failure = try #require(sendFailure(machine.send(id: 1, expectedReplies: 1, request: "late")))
        #expect(isShutdown(failure))
        #expect(isNone(machine.closeGracefully()), "expected .none on a second close")
    }

    @Test func gracefulCloseWithPendingWaitsRefusesNewSendsAndClosesAfterTheLastReply() throws {
        var machine = Machine()
        expectWrite(&machine, id: 1, "one")
        expectWrite(&machine, id: 2, expectedReplies: 2, "two")

        guard case .waitForPending = machine.closeGracefully() else {
            Issue.record("expected .waitForPending")
            return
        }
        #expect(!machine.isActive)
        #expect(machine.pendingCount == 2)
        let refused = try #require(sendFailure(machine.send(id: 3, expectedReplies: 1, request: "three")))
        #expect(isConnectionClosed(refused))
        #expect(machine.pendingCount == 2)
        guard case .waitForPending = machine.closeGracefully() else {
            Issue.record("expected .waitForPending on a repeated graceful close")
            return
        }

        let one = try #require(succeeded(machine.receive(try token(":1\r\n"))))
        #expect(one.request == "one")
        #expect(isNone(machine.receive(try token(":2\r\n"))))
        guard case .succeedAndClose(let last, let replies) = machine.receive(try token(":3\r\n")) else {
            Issue.record("expected .succeedAndClose")
            return
        }
        #expect(last == "two")
        let expected = try [token(":2\r\n"), token(":3\r\n")]
        #expect(replies == expected)
        #expect(machine.pendingCount == 0)
        let afterClose = try #require(sendFailure(machine.send(id: 4, expectedReplies: 1, request: "four")))
        #expect(isShutdown(afterClose))
    }

    @Test func pushWhileClosingGracefullyDoesNotCompleteTheClose() throws {
        var machine = Machine()
        expectWrite(&machine, id: 1, "one")
        _ = machine.closeGracefully()
        guard case .push = machine.receive(try token(">2\r\n+message\r\n+x\r\n")) else {
            Issue.record("expected .push")
            return
        }
        #expect(machine.pendingCount == 1)
        guard case .succeedAndClose("one", _) = machine.receive(try token(":1\r\n")) else {
            Issue.record("expected .succeedAndClose")
            return
        }
    }

    @Test func channelLossWhileClosingGracefullyFailsTheRequestsStillWaiting() {
        var machine = Machine()
        expectWrite(&machine, id: 1, "one")
        expectWrite(&machine, id: 2, "two")
        _ = machine.closeGracefully()
        #expect(machine.channelInactive() == ["one", "two"])
        #expect(machine.pendingCount == 0)
    }

    // MARK: Channel loss and stream failures

    @Test func channelInactiveFailsAllPendingRequestsInOrder() throws {
        var machine = Machine()
        expectWrite(&machine, id: 1, "one")
        expectWrite(&machine, id: 2, expectedReplies: 3, "two")
        expectWrite(&machine, id: 3, "three")
        _ = try #require(succeeded(machine.receive(try token(":1\r\n"))))
        #expect(isNone(machine.receive(try token(":2\r\n"))))

        #expect(machine.channelInactive() == ["two", "three"])
        #expect(machine.pendingCount == 0)
        #expect(!machine.isActive)
        let failure = try #require(sendFailure(machine.send(id: 4, expectedReplies: 1, request: "four")))
        #expect(isConnectionClosed(failure))
        #expect(machine.channelInactive().isEmpty)
    }

    @Test func channelInactiveWithNothingPendingReturnsNothing() {
        var machine = Machine()
        #expect(machine.channelInactive().isEmpty)
        #expect(!machine.isActive)
    }

    @Test func failedFailsAllPendingRequestsAndLaterSendsMentionTheCause() throws {
        var machine = Machine()
        expectWrite(&machine, id: 1, "one")
        expectWrite(&machine, id: 2, "two")
        let cause = RedisError.protocolViolation(RESPParsingError(.invalidTypeIdentifier, offset: 0))

        #expect(machine.failed(cause) == ["one", "two"])
        #expect(machine.pendingCount == 0)
        #expect(!machine.isActive)
        let failure = try #require(sendFailure(machine.send(id: 3, expectedReplies: 1, request: "three")))
        guard case .connectionClosed(let reason) = failure else {
            Issue.record("expected connectionClosed, got \(failure)")
            return
        }
        #expect(reason.contains("invalid type byte"))
        #expect(machine.failed(cause).isEmpty)
    }

    @Test("after the channel broke with a reason, a later send carries that reason as the handler words it")
    func laterSendAfterABrokenChannelKeepsTheFirstReason() throws {
        var machine = Machine()
        expectWrite(&machine, id: 1, "one")
        #expect(machine.failed(.connectionClosed(reason: "certificate not trusted")) == ["one"])
        let failure = try #require(sendFailure(machine.send(id: 2, expectedReplies: 1, request: "two")))
        guard case .connectionClosed(let reason) = failure else {
            Issue.record("expected connectionClosed, got \(failure)")
            return
        }
        // Not "…: Redis connection closed: certificate not trusted": a TLS connect reports the first reason
        // whichever of the handler and the state machine saw the close first.
        #expect(reason == "the connection was closed earlier: certificate not trusted")
    }
}
