import NIOCore
import RESP
import RedisClient
import Testing

private func slot(_ number: Int) -> RedisHashSlot { RedisHashSlot(number)! }

@Suite struct RedisRedirectionTests {
    // The first four were sent by a redis-server 7.0.15 cluster node (with cluster-preferred-endpoint-type ip,
    // hostname and unknown-endpoint, and during a slot migration).
    @Test(arguments: [
        ("MOVED 15495 127.0.0.1:30003", RedisRedirection.moved(slot: slot(15495), host: "127.0.0.1", port: 30003)),
        ("MOVED 15495 node-30003.example:30003", .moved(slot: slot(15495), host: "node-30003.example", port: 30003)),
        ("MOVED 15495 :30003", .moved(slot: slot(15495), host: "", port: 30003)),
        ("ASK 100 127.0.0.1:30005", .ask(slot: slot(100), host: "127.0.0.1", port: 30005)),
        ("MOVED 3999 127.0.0.1:6381", .moved(slot: slot(3999), host: "127.0.0.1", port: 6381)),
        ("ASK 3999 10.0.0.2:6380", .ask(slot: slot(3999), host: "10.0.0.2", port: 6380)),
        ("MOVED 3999 ::1:6381", .moved(slot: slot(3999), host: "::1", port: 6381)),
        ("ASK 3999 fe80::1:2:6381", .ask(slot: slot(3999), host: "fe80::1:2", port: 6381)),
        ("MOVED 3999 [::1]:6381", .moved(slot: slot(3999), host: "::1", port: 6381)),
        ("MOVED 3999 :6380", .moved(slot: slot(3999), host: "", port: 6380)),
        ("ASK 0 h:1", .ask(slot: slot(0), host: "h", port: 1)),
        ("MOVED 16383 redis.internal:65535", .moved(slot: slot(16383), host: "redis.internal", port: 65535)),
    ])
    func redirectionsAreParsed(message: String, expected: RedisRedirection) {
        let redirection = RedisRedirection(message: message)
        #expect(redirection == expected)
        #expect(RedisRedirection(RedisServerError(message: message)) == expected)
        #expect(redirection?.slot == expected.slot)
        #expect(redirection?.host == expected.host)
        #expect(redirection?.port == expected.port)
        #expect(redirection?.isAsk == message.hasPrefix("ASK"))
    }

    @Test(arguments: [
        "ERR unknown command",
        "WRONGTYPE Operation against a key holding the wrong kind of value",
        "MOVED",
        "MOVED 3999",
        "MOVED 3999 127.0.0.1",
        "MOVED 3999 127.0.0.1:",
        "MOVED 3999 127.0.0.1:0",
        "MOVED 3999 127.0.0.1:65536",
        "MOVED 3999 127.0.0.1:port",
        "MOVED 16384 127.0.0.1:6379",
        "MOVED -1 127.0.0.1:6379",
        "MOVED slot 127.0.0.1:6379",
        "MOVED 3999 127.0.0.1:6379 extra",
        "MOVED  3999 127.0.0.1:6379",
        "MOVED 3999 127.0.0.1:6379 ",
        "moved 3999 127.0.0.1:6379",
        "ASKING 3999 127.0.0.1:6379",
        "TRYAGAIN Multiple keys request during rehashing of slot",
        "CLUSTERDOWN Hash slot not served",
        "",
    ])
    func otherErrorsAreNotRedirections(message: String) {
        #expect(RedisRedirection(message: message) == nil)
        #expect(RedisRedirection(RedisServerError(message: message)) == nil)
    }

    @Test func anEmptyHostIsTheHostThatAnswered() {
        let moved = RedisRedirection(message: "MOVED 3999 :6380")!
        #expect(moved.resolved(answeringHost: "10.1.2.3") == .moved(slot: slot(3999), host: "10.1.2.3", port: 6380))
        let ask = RedisRedirection(message: "ASK 3999 :6380")!
        #expect(ask.resolved(answeringHost: "::1") == .ask(slot: slot(3999), host: "::1", port: 6380))
        let named = RedisRedirection(message: "MOVED 3999 10.0.0.9:6380")!
        #expect(named.resolved(answeringHost: "10.1.2.3") == named)
    }

    @Test func anErrorReplyTokenCarriesTheRedirection() throws {
        for text in ["-MOVED 3999 ::1:6381\r\n", "!19\r\nMOVED 3999 ::1:6381\r\n"] {
            let reply = try RESPToken(validating: ByteBuffer(string: text))
            let error = try #require(reply.serverError)
            #expect(error.code == "MOVED")
            #expect(RedisRedirection(error) == .moved(slot: slot(3999), host: "::1", port: 6381))
        }
    }

    @Test func descriptionIsTheMessageRedisWrites() {
        for message in ["MOVED 3999 127.0.0.1:6381", "ASK 3999 ::1:6381", "MOVED 3999 :6380"] {
            #expect(RedisRedirection(message: message)?.description == message)
        }
        #expect(RedisRedirection(message: "MOVED 3999 [::1]:6381")?.description == "MOVED 3999 ::1:6381")
    }

    @Test func substringsAreAccepted() {
        let line = "-MOVED 12182 10.0.0.1:7000"
        #expect(RedisRedirection(message: line.dropFirst()) == .moved(slot: slot(12182), host: "10.0.0.1", port: 7000))
    }
}
