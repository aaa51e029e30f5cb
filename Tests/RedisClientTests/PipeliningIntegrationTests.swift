import IPWatcherTestSupport
import RESP
import RedisClient
import Testing

@Suite("Pipelining against a real redis-server", .serialized, .needsRedisServer, .timeLimit(.minutes(10)))
struct PipeliningIntegrationTests {
    @Test("10,000 INCRs in one pipeline return 10,000 replies 1…10000 in order")
    func tenThousandIncrementsReplyInOrder() async throws {
        try await withRedisConnection { _, connection in
            var encoder = RESPCommandEncoder()
            for _ in 0..<10_000 { encoder.encode("INCR", "pipelined") }
            #expect(encoder.commandCount == 10_000)
            let replies = try await connection.pipeline(encoder)
            #expect(replies.count == 10_000)
            let firstOutOfOrder = replies.indices.first { replies[$0].int != Int64($0 + 1) }
            #expect(
                firstOutOfOrder == nil,
                "reply \(firstOutOfOrder ?? -1) is \(firstOutOfOrder.map { "\(replies[$0])" } ?? "")")
            #expect(try await connection.send("GET", "pipelined").int == 10_000)
        }
    }

    @Test("A WRONGTYPE error in the middle of a pipeline is that reply's error token; its neighbours succeed")
    func errorInMiddleOfPipelineOnlyAffectsThatReply() async throws {
        try await withRedisConnection { server, connection in
            _ = try await connection.send("SET", "text", "hello")
            let replies = try await connection.pipeline([
                RESPCommand("INCR", "counter"),
                RESPCommand("LPUSH", "text", "oops"),
                RESPCommand("GET", "text"),
            ])
            try #require(replies.count == 3)
            #expect(replies[0].int == 1)
            #expect(!replies[0].isError)
            #expect(replies[1].isError)
            #expect(replies[1].serverError?.code == "WRONGTYPE")
            #expect(replies[2].string == "hello")
            #expect(!replies[2].isError)
            // A server error does not break the connection.
            #expect(connection.isActive)
            #expect(try await connection.send("PING").string == "PONG")
        }
    }

    @Test("send of a failing command throws RedisError.server with code WRONGTYPE and keeps the connection")
    func sendThrowsServerErrorForWrongType() async throws {
        try await withRedisConnection { server, connection in
            _ = try await connection.send("SET", "text", "hello")
            let error = await #expect(throws: RedisError.self) {
                try await connection.send("LPUSH", "text", "oops")
            }
            #expect(error?.kind == "server")
            #expect(error?.serverErrorCode == "WRONGTYPE")
            #expect(try await connection.send("GET", "text").string == "hello")
        }
    }

    @Test("50 tasks sending concurrently on one connection each get their own replies")
    func concurrentSendsGetTheirOwnReplies() async throws {
        try await withRedisConnection { _, connection in
            let mismatches = try await withThrowingTaskGroup(of: [String].self) { group in
                for task in 0..<50 {
                    group.addTask {
                        var wrong: [String] = []
                        for round in 0..<20 {
                            let key = "k_\(task)"
                            let value = "\(task)-\(round)"
                            let set = try await connection.send("SET", key, value)
                            if set.string != "OK" { wrong.append("SET \(key) → \(set)") }
                            let get = try await connection.send("GET", key)
                            if get.string != value { wrong.append("GET \(key) → \(get), expected \(value)") }
                        }
                        return wrong
                    }
                }
                var all: [String] = []
                for try await wrong in group { all += wrong }
                return all
            }
            #expect(mismatches.isEmpty, "\(mismatches.prefix(10))")
            for task in [0, 25, 49] {
                #expect(try await connection.send("GET", "k_\(task)").string == "\(task)-19")
            }
        }
    }
}
