import IPWatcherTestSupport
import RESP
import RedisClient
import Testing

@Suite("Lua scripts against a real redis-server", .serialized, .needsRedisServer, .timeLimit(.minutes(10)))
struct ScriptIntegrationTests {
    static let incrementBy = "return redis.call('INCRBY', KEYS[1], ARGV[1])"

    @Test("evaluate runs the script with keys and arguments and remembers its SHA1")
    func evaluateRunsScriptAndRemembersSHA1() async throws {
        try await withRedisServer { server in
            try await withConnection(server.url) { connection async throws in
                let script = RedisScript(Self.incrementBy)
                #expect(script.sha1 == nil)
                #expect(try await connection.evaluate(script, keys: ["counter"], arguments: ["5"]).int == 5)
                let sha1 = try #require(script.sha1)
                #expect(sha1.count == 40)
                #expect(sha1.allSatisfy { $0.isHexDigit })
                #expect(try await connection.evaluate(script, keys: ["counter"], arguments: ["7"]).int == 12)
                #expect(script.sha1 == sha1)
                let exists = try #require(try await connection.send("SCRIPT", "EXISTS", sha1).elements?.first)
                #expect(exists.int == 1)
                #expect(try await connection.send("GET", "counter").int == 12)
            }
        }
    }

    @Test("After SCRIPT FLUSH evaluate still works: NOSCRIPT makes it load the script again")
    func evaluateReloadsAfterScriptFlush() async throws {
        try await withRedisConnection { server, connection in
            let script = RedisScript(Self.incrementBy)
            #expect(try await connection.evaluate(script, keys: ["counter"], arguments: ["1"]).int == 1)
            let sha1 = try #require(script.sha1)

            _ = try await connection.send("SCRIPT", "FLUSH")
            #expect(try await connection.send("SCRIPT", "EXISTS", sha1).elements?.first?.int == 0)
            // The cached digest is now unknown to the server; a bare EVALSHA fails with NOSCRIPT…
            let error = await #expect(throws: RedisError.self) {
                try await connection.send("EVALSHA", sha1, 1, "counter", "1")
            }
            #expect(error?.serverErrorCode == "NOSCRIPT")
            // …but evaluate recovers transparently.
            #expect(try await connection.evaluate(script, keys: ["counter"], arguments: ["10"]).int == 11)
            #expect(script.sha1 == sha1)
            #expect(try await connection.send("SCRIPT", "EXISTS", sha1).elements?.first?.int == 1)
        }
    }

    @Test("evaluate works through a RedisServerClient too")
    func evaluateWorksThroughClient() async throws {
        try await withRedisServer { server in
            let script = RedisScript(Self.incrementBy)
            try await RedisServerClient.withClient(endpoint: RedisEndpoint(url: server.url)) { client async throws in
                #expect(try await client.evaluate(script, keys: ["counter"], arguments: ["3"]).int == 3)
                #expect(try await client.evaluate(script, keys: ["counter"], arguments: ["4"]).int == 7)
            }
        }
    }
}
