import NIOCore
import RESP
import Testing

@testable import RedisClient

private func token(_ text: String) throws -> RESPToken {
    try RESPToken(validating: ByteBuffer(string: text))
}

@Suite struct RedisServerErrorTests {
    @Test(arguments: [
        ("WRONGTYPE Operation against a key holding the wrong kind of value", "WRONGTYPE"),
        ("ERR unknown command 'FOO', with args beginning with: ", "ERR"),
        ("NOAUTH Authentication required.", "NOAUTH"),
        ("WRONGPASS invalid username-password pair or user is disabled.", "WRONGPASS"),
        ("NOSCRIPT No matching script. Please use EVAL.", "NOSCRIPT"),
        ("MOVED 3999 127.0.0.1:6381", "MOVED"),
        ("BUSYGROUP Consumer Group name already exists", "BUSYGROUP"),
        ("NOPERM", "NOPERM"),
        ("EXECABORT Transaction discarded because of previous errors.", "EXECABORT"),
        ("unknown command", "ERR"),
        ("wrongtype Operation against a key", "ERR"),
        ("Wrongtype Operation against a key", "ERR"),
        ("", "ERR"),
        (" leading space", "ERR"),
    ])
    func codeIsTheUpperCaseFirstWordOrERR(message: String, code: String) {
        let error = RedisServerError(message: message)
        #expect(error.code == code)
        #expect(error.message == message)
        #expect(error.description == message)
    }

    @Test func redisErrorExposesTheServerCodeOnlyForServerErrors() {
        let server = RedisError.server(RedisServerError(message: "WRONGPASS invalid username-password pair"))
        #expect(server.serverErrorCode == "WRONGPASS")
        #expect(server.description == "Redis error: WRONGPASS invalid username-password pair")
        #expect(RedisError.connectionClosed(reason: "x").serverErrorCode == nil)
        #expect(RedisError.shutdown.serverErrorCode == nil)
    }

    @Test func simpleErrorReplyBecomesAServerError() throws {
        let reply = try token("-ERR unknown command 'FOO'\r\n")
        let error = try #require(reply.serverError)
        #expect(error.message == "ERR unknown command 'FOO'")
        #expect(error.code == "ERR")
    }

    @Test func bulkErrorReplyBecomesAServerError() throws {
        let reply = try token("!21\r\nSYNTAX invalid syntax\r\n")
        let error = try #require(reply.serverError)
        #expect(error.message == "SYNTAX invalid syntax")
        #expect(error.code == "SYNTAX")
    }

    @Test func bulkErrorMayHoldCRLFInItsMessage() throws {
        let reply = try token("!12\r\nERR a\r\nb c d\r\n")
        #expect(reply.serverError?.message == "ERR a\r\nb c d")
        #expect(reply.serverError?.code == "ERR")
    }

    @Test func emptySimpleErrorHasCodeERR() throws {
        let reply = try token("-\r\n")
        let error = try #require(reply.serverError)
        #expect(error.message == "")
        #expect(error.code == "ERR")
    }

    @Test(arguments: [
        "+OK\r\n", ":1\r\n", "$3\r\nERR\r\n", "$-1\r\n", "_\r\n", "*1\r\n-ERR inside an array\r\n",
        "#t\r\n", "=7\r\ntxt:ERR\r\n",
    ])
    func nonErrorRepliesHaveNoServerErrorAndPassThroughThrowingServerError(text: String) throws {
        let reply = try token(text)
        #expect(reply.serverError == nil)
        #expect(try reply.throwingServerError() == reply)
    }

    @Test(arguments: ["-NOAUTH Authentication required.\r\n", "!25\r\nNOAUTH Authentication req\r\n"])
    func throwingServerErrorThrowsTheErrorReplyAsRedisErrorServer(text: String) throws {
        let reply = try token(text)
        let thrown = #expect(throws: RedisError.self) { try reply.throwingServerError() }
        guard case .server(let error) = thrown else {
            Issue.record("expected RedisError.server, got \(String(describing: thrown))")
            return
        }
        #expect(error.code == "NOAUTH")
        #expect(error == reply.serverError)
        #expect(thrown?.serverErrorCode == "NOAUTH")
    }
}
