import IPWatcherTestSupport
import RESP
import RedisClient
import Testing

@Suite("Blocking commands against a real redis-server", .serialized, .needsRedisServer, .timeLimit(.minutes(10)), .measuresTime)
struct BlockingCommandIntegrationTests {
    @Test("BLPOP on an empty list returns null after its block time, not an error and not a hang")
    func blpopOnEmptyListReturnsNullAfterBlockTime() async throws {
        try await withRedisConnection { _, connection in
            let clock = ContinuousClock()
            let start = clock.now
            let reply = try await connection.sendBlocking(RESPCommand("BLPOP", "q", 1), blockFor: .seconds(1))
            let elapsed = start.duration(to: clock.now)
            #expect(reply.isNull, "reply: \(reply)")
            #expect(!reply.isError)
            #expect(elapsed >= .milliseconds(900), "returned after \(elapsed)")
            #expect(elapsed < .seconds(3), "returned after \(elapsed)")
            #expect(connection.isActive)
            #expect(try await connection.send("PING").string == "PONG")
        }
    }

    @Test("BLPOP waiting while another connection LPUSHes returns [key, value]")
    func blpopReturnsElementPushedByAnotherConnection() async throws {
        try await withRedisConnection { server, waiter in
            try await withConnection(server.url) { pusher in
                async let popped = waiter.sendBlocking(RESPCommand("BLPOP", "jobs", 5), blockFor: .seconds(5))
                try await requireBlockedClients(1, on: pusher)
                #expect(try await pusher.send("LPUSH", "jobs", "job-1").int == 1)
                let reply = try await popped
                #expect(reply.strings == ["jobs", "job-1"])
                #expect(try await pusher.send("LLEN", "jobs").int == 0)
            }
        }
    }

    @Test("BLMPOP 1 1 q LEFT COUNT 100 returns up to 100 entries, then the rest")
    func blmpopReturnsUpToCountEntries() async throws {
        try await withRedisConnection { _, connection in
            let items = (1...150).map { "item-\($0)" }
            #expect(try await connection.send("RPUSH", "q", items).int == 150)

            let first = try await connection.sendBlocking(
                RESPCommand("BLMPOP", 1, 1, "q", "LEFT", "COUNT", 100), blockFor: .seconds(1))
            let firstParts = try #require(first.elements, "reply: \(first)")
            try #require(firstParts.count == 2)
            #expect(firstParts[0].string == "q")
            #expect(firstParts[1].strings == items.prefix(100).map(Optional.some))

            let second = try await connection.sendBlocking(
                RESPCommand("BLMPOP", 1, 1, "q", "LEFT", "COUNT", 100), blockFor: .seconds(1))
            let secondParts = try #require(second.elements, "reply: \(second)")
            try #require(secondParts.count == 2)
            #expect(secondParts[1].strings == items.suffix(50).map(Optional.some))

            let empty = try await connection.sendBlocking(
                RESPCommand("BLMPOP", 1, 1, "q", "LEFT", "COUNT", 100), blockFor: .seconds(1))
            #expect(empty.isNull, "BLMPOP on an empty list after its timeout: \(empty)")
        }
    }

    @Test("BLMOVE waits for an element and moves it to the destination")
    func blmoveWaitsAndMovesElement() async throws {
        try await withRedisConnection { server, mover in
            try await withConnection(server.url) { producer in
                async let moved = mover.sendBlocking(
                    RESPCommand("BLMOVE", "incoming", "processing", "LEFT", "RIGHT", 5), blockFor: .seconds(5))
                try await requireBlockedClients(1, on: producer)
                _ = try await producer.send("RPUSH", "incoming", "a", "b")
                #expect(try await moved.string == "a")
                #expect(try await producer.send("LRANGE", "processing", 0, -1).strings == ["a"])
                #expect(try await producer.send("LRANGE", "incoming", 0, -1).strings == ["b"])
            }
        }
    }

    @Test("A client timeout shorter than the block throws timeout, closes the connection, and later sends fail")
    func clientTimeoutShorterThanBlockClosesConnection() async throws {
        try await withObservedConnection { observer, connection in
            let clock = ContinuousClock()
            let start = clock.now
            let error = await #expect(throws: RedisError.self) {
                try await connection.send(RESPCommand("BLPOP", "q", 5), timeout: .milliseconds(200))
            }
            let elapsed = start.duration(to: clock.now)
            #expect(error?.kind == "timeout", "\(String(describing: error))")
            #expect(elapsed < .seconds(2), "timed out after \(elapsed)")
            #expect(
                try await eventually(within: .seconds(2)) { !connection.isActive },
                "the connection stayed open after the timeout")

            // The server forgets the abandoned BLPOP, so a push afterwards stays in the list.
            #expect(
                try await eventually { try await blockedClientCount(observer) == 0 },
                "the server still blocks the abandoned client")
            _ = try await observer.send("LPUSH", "q", "late")
            // A later send fails instead of being handed the stale BLPOP reply.
            let later = await #expect(throws: RedisError.self) {
                try await connection.send("GET", "anything")
            }
            #expect(later?.kind == "connectionClosed", "\(String(describing: later))")
            #expect(try await observer.send("LRANGE", "q", 0, -1).strings == ["late"])
            await connection.closeNow()
        }
    }

    @Test("Cancelling a task waiting in BLPOP ends it promptly with an error and closes the connection")
    func cancellingBlockedTaskClosesConnection() async throws {
        try await withObservedConnection { observer, connection in
            let clock = ContinuousClock()
            var cancelledAt = clock.now
            let outcome = try await withThrowingTaskGroup(of: Result<RESPToken, any Error>.self) { group in
                group.addTask {
                    do {
                        let blpop = RESPCommand("BLPOP", "q", 10)
                        return .success(try await connection.sendBlocking(blpop, blockFor: .seconds(10)))
                    } catch {
                        return .failure(error)
                    }
                }
                try await requireBlockedClients(1, on: observer)
                cancelledAt = clock.now
                group.cancelAll()
                return try #require(await group.next())
            }
            let elapsed = cancelledAt.duration(to: clock.now)
            #expect(elapsed < .seconds(2), "BLPOP ended \(elapsed) after the cancel")
            switch outcome {
            case .success(let reply):
                Issue.record("a cancelled BLPOP returned \(reply) instead of failing")
            case .failure(let error):
                #expect(error is RedisError, "\(error)")
            }
            #expect(
                try await eventually(within: .seconds(2)) { !connection.isActive },
                "the connection stayed open after the cancel")
            await #expect(throws: RedisError.self) { try await connection.send("PING") }
            await connection.closeNow()
        }
    }
}
