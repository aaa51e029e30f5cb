import NIOCore
import Testing

@testable import RESP

/// Tokens and their payloads must be slices of the buffer they were parsed from, never copies.
@Suite struct ZeroCopyTests {
    /// Address of the first readable byte of `buffer`.
    private func address(_ buffer: ByteBuffer) -> UInt {
        buffer.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
    }

    /// Parses the replies in `text` with `next(from:)`, returning them and the untouched input.
    private func parse(_ text: String) throws -> (tokens: [RESPToken], input: ByteBuffer) {
        var buffer = ByteBuffer(string: text)
        let input = buffer
        var parser = RESPParser()
        var tokens: [RESPToken] = []
        while let token = try parser.next(from: &buffer) { tokens.append(token) }
        return (tokens, input)
    }

    @Test func bulkStringPayloadSharesStorageWithTheInputBuffer() throws {
        // A reply in front, so the payload sits at a non-zero offset of the input.
        let (tokens, input) = try parse("+OK\r\n$5\r\nhello\r\n")
        #expect(tokens.count == 2)
        let payload = try #require(tokens.last?.bytes)
        #expect(payload == ByteBuffer(string: "hello"))
        #expect(address(payload) == address(input) + 9)
    }

    @Test func tokenBaseSharesStorageWithTheInputBuffer() throws {
        let (tokens, input) = try parse("+OK\r\n:1\r\n$1\r\nx\r\n")
        #expect(tokens.count == 3)
        #expect(tokens.map { address($0.base) } == [0, 5, 9].map { address(input) + $0 })
    }

    @Test func simpleStringPayloadSharesStorageWithTheInputBuffer() throws {
        let (tokens, input) = try parse("+hello world\r\n")
        let payload = try #require(tokens.first?.bytes)
        #expect(address(payload) == address(input) + 1)
    }

    @Test func arrayElementsAndTheirPayloadsShareStorageWithTheInputBuffer() throws {
        let (tokens, input) = try parse("*2\r\n$3\r\nfoo\r\n$3\r\nbar\r\n")
        let elements = Array(try #require(tokens.first?.array))
        #expect(elements.map { address($0.base) } == [4, 13].map { address(input) + $0 })
        let payloads = try elements.map { try #require($0.bytes) }
        #expect(payloads.map { address($0) } == [8, 17].map { address(input) + $0 })
    }

    @Test func mapKeysAndValuesShareStorageWithTheInputBuffer() throws {
        let (tokens, input) = try parse("%1\r\n$3\r\nkey\r\n$5\r\nvalue\r\n")
        let pairs = Array(try #require(tokens.first?.map))
        let pair = try #require(pairs.first)
        #expect(address(try #require(pair.key.bytes)) == address(input) + 8)
        #expect(address(try #require(pair.value.bytes)) == address(input) + 17)
    }

    @Test func verbatimFormatAndTextShareStorageWithTheInputBuffer() throws {
        let (tokens, input) = try parse("=15\r\ntxt:Some string\r\n")
        guard case .verbatimString(let format, let text) = try #require(tokens.first).value else {
            Issue.record("expected a verbatim string")
            return
        }
        #expect(address(format) == address(input) + 5)
        #expect(address(text) == address(input) + 9)
    }

    @Test func attributeAnnotatedValueSharesStorageWithTheInputBuffer() throws {
        let (tokens, input) = try parse(Fixtures.attribute)
        let annotated = try #require(tokens.first).withoutAttributes
        let offset = Fixtures.attribute.utf8.count - "*2\r\n:2039123\r\n:9543892\r\n".utf8.count
        #expect(address(annotated.base) == address(input) + UInt(offset))
    }

    @Test func validatingInitializerSharesStorageWithItsArgument() throws {
        let input = ByteBuffer(string: "$5\r\nhello\r\n")
        let reply = try RESPToken(validating: input)
        #expect(address(reply.base) == address(input))
        #expect(address(try #require(reply.bytes)) == address(input) + 4)
    }

    @Test func tokenKeepsItsBytesWhenTheInputBufferIsReusedAfterwards() throws {
        var buffer = ByteBuffer(string: "$5\r\nhello\r\n")
        var parser = RESPParser()
        let reply = try #require(try parser.next(from: &buffer))
        buffer.clear()
        buffer.writeString("$5\r\nXXXXX\r\n")
        #expect(reply.string == "hello")
        #expect(reply.base == ByteBuffer(string: "$5\r\nhello\r\n"))
    }
}
