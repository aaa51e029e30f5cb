import NIOCore
import Testing

@testable import RESP

@Suite struct TokenValidationTests {
    @Test(arguments: Fixtures.validReplies)
    func validReplyValidatesToATokenOverExactlyItsBytes(reply: RawReply) throws {
        let token = try RESPToken(validating: reply.buffer)
        #expect(bytesOf(token.base) == reply.bytes)
    }

    @Test(arguments: [
        ("+OK\r\n+", 5),
        ("+OK\r\n+OK\r\n", 5),
        ("$1\r\na\r\nX", 7),
        (":1\r\n\r\n", 4),
        ("*1\r\n:1\r\n:2\r\n", 8),
        ("_\r\n@", 3),
    ])
    func validReplyFollowedByAnyBytesIsRejectedAsTrailingBytes(input: String, offset: Int) {
        #expect(throws: RESPParsingError(.trailingBytes, offset: offset)) {
            try RESPToken(validating: ByteBuffer(string: input))
        }
    }

    @Test(arguments: ["", "+OK", "+OK\r", "$5\r\nhel", "$5\r\nhello\r", "*2\r\n:1\r\n", "%1\r\n+k\r\n", "|1\r\n+a\r\n+b\r\n"])
    func incompleteReplyIsRejectedAsIncompleteAtItsEnd(input: String) {
        #expect(throws: RESPParsingError(.incomplete, offset: input.utf8.count)) {
            try RESPToken(validating: ByteBuffer(string: input))
        }
    }

    @Test func validationStartsAtTheReaderIndex() throws {
        var buffer = ByteBuffer(string: "garbage+OK\r\n")
        buffer.moveReaderIndex(forwardBy: 7)
        let token = try RESPToken(validating: buffer)
        #expect(token.string == "OK")
        #expect(token.base == ByteBuffer(string: "+OK\r\n"))
    }

    @Test func validationDoesNotConsumeTheCallersBuffer() throws {
        let buffer = ByteBuffer(string: "+OK\r\n")
        _ = try RESPToken(validating: buffer)
        #expect(buffer.readableBytes == 5)
        #expect(buffer.readerIndex == 0)
    }
}
