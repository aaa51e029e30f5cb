import NIOCore
import Testing

@testable import RESP

/// A malformed reply and the error it must produce.
struct MalformedCase: Sendable, CustomTestStringConvertible {
    let bytes: [UInt8]
    let code: RESPParsingError.Code
    let offset: Int

    init(_ text: String, _ code: RESPParsingError.Code, at offset: Int) {
        self.bytes = Array(text.utf8)
        self.code = code
        self.offset = offset
    }

    var testDescription: String { "\(escaped(bytes)) → \(code) at \(offset)" }
}

@Suite struct MalformedInputTests {
    static let cases: [MalformedCase] = [
        // Type byte
        MalformedCase("@\r\n", .invalidTypeIdentifier, at: 0),
        MalformedCase("x", .invalidTypeIdentifier, at: 0),
        MalformedCase("\r\n", .invalidTypeIdentifier, at: 0),
        MalformedCase("*2\r\n:1\r\n?\r\n", .invalidTypeIdentifier, at: 8),
        // Lengths and counts
        MalformedCase("$abc\r\n", .invalidLength, at: 1),
        MalformedCase("$\r\n", .invalidLength, at: 1),
        MalformedCase("$-2\r\n", .invalidLength, at: 1),
        MalformedCase("$1.5\r\n", .invalidLength, at: 1),
        MalformedCase("*-5\r\n", .invalidLength, at: 1),
        MalformedCase("*x\r\n", .invalidLength, at: 1),
        MalformedCase("!-1\r\n", .invalidLength, at: 1),
        MalformedCase("=-1\r\n", .invalidLength, at: 1),
        MalformedCase("%-1\r\n", .invalidLength, at: 1),
        MalformedCase("~-1\r\n", .invalidLength, at: 1),
        MalformedCase(">-1\r\n", .invalidLength, at: 1),
        MalformedCase("|-1\r\n", .invalidLength, at: 1),
        MalformedCase("$99999999999999999999\r\n", .invalidLength, at: 1),
        // Bulk payload not followed by CRLF
        MalformedCase("$3\r\nabcXY", .missingTerminator, at: 7),
        MalformedCase("$3\r\nabcd\r\n", .missingTerminator, at: 7),
        MalformedCase("$3\r\nabc\rX", .missingTerminator, at: 7),
        MalformedCase("$3\r\nabc\n\r", .missingTerminator, at: 7),
        MalformedCase("!2\r\nabc\r\n", .missingTerminator, at: 6),
        MalformedCase("*1\r\n$1\r\nab\r\n", .missingTerminator, at: 9),
        // Integers
        MalformedCase(":12a\r\n", .invalidInteger, at: 1),
        MalformedCase(":\r\n", .invalidInteger, at: 1),
        MalformedCase(":-\r\n", .invalidInteger, at: 1),
        MalformedCase(": 1\r\n", .invalidInteger, at: 1),
        MalformedCase(":1.0\r\n", .invalidInteger, at: 1),
        MalformedCase(":99999999999999999999\r\n", .invalidInteger, at: 1),
        MalformedCase(":9223372036854775808\r\n", .invalidInteger, at: 1),
        MalformedCase(":-9223372036854775809\r\n", .invalidInteger, at: 1),
        // Booleans and nulls
        MalformedCase("#x\r\n", .invalidBoolean, at: 1),
        MalformedCase("#\r\n", .invalidBoolean, at: 1),
        MalformedCase("#tt\r\n", .invalidBoolean, at: 1),
        MalformedCase("#T\r\n", .invalidBoolean, at: 1),
        MalformedCase("_x\r\n", .invalidNull, at: 1),
        MalformedCase("_ \r\n", .invalidNull, at: 1),
        // Doubles
        MalformedCase(",1.5.5\r\n", .invalidDouble, at: 1),
        MalformedCase(",0x10\r\n", .invalidDouble, at: 1),
        MalformedCase(",0x1p3\r\n", .invalidDouble, at: 1),
        MalformedCase(",\r\n", .invalidDouble, at: 1),
        MalformedCase(",abc\r\n", .invalidDouble, at: 1),
        MalformedCase(",infinity\r\n", .invalidDouble, at: 1),
        MalformedCase(",--1\r\n", .invalidDouble, at: 1),
        MalformedCase(",1e\r\n", .invalidDouble, at: 1),
        MalformedCase(", 1\r\n", .invalidDouble, at: 1),
        // Big numbers
        MalformedCase("(12a\r\n", .invalidBigNumber, at: 1),
        MalformedCase("(\r\n", .invalidBigNumber, at: 1),
        MalformedCase("(-\r\n", .invalidBigNumber, at: 1),
        MalformedCase("(1.5\r\n", .invalidBigNumber, at: 1),
        // Verbatim strings
        MalformedCase("=3\r\ntxt\r\n", .invalidVerbatimString, at: 4),
        MalformedCase("=0\r\n\r\n", .invalidVerbatimString, at: 4),
        MalformedCase("=5\r\ntxtab\r\n", .invalidVerbatimString, at: 4),
        MalformedCase("=4\r\ntx:a\r\n", .invalidVerbatimString, at: 4),
        // Line terminators
        MalformedCase("+OK\nmore\r\n", .missingTerminator, at: 3),
        MalformedCase("-ERR\n", .missingTerminator, at: 4),
        MalformedCase("+a\rb\r\n", .missingTerminator, at: 3),
        MalformedCase(":1\r2\r\n", .missingTerminator, at: 3),
        MalformedCase("$1\n", .missingTerminator, at: 2),
        MalformedCase("*1\r\n+a\rb\r\n", .missingTerminator, at: 7),
    ]

    @Test(arguments: cases)
    func malformedReplyThrowsItsCodeAtItsOffset(input: MalformedCase) {
        let error = parseError(input.bytes)
        #expect(error?.code == input.code)
        #expect(error?.offset == input.offset)
    }

    @Test(arguments: cases)
    func malformedReplyFedOneByteAtATimeThrowsTheSameErrorAndNeverReturnsAToken(input: MalformedCase) {
        var parser = RESPParser()
        var buffer = ByteBuffer()
        var thrown: RESPParsingError?
        for byte in input.bytes {
            buffer.writeInteger(byte)
            do {
                let token = try parser.next(from: &buffer)
                #expect(token == nil, "returned \(String(describing: token)) for malformed input")
            } catch {
                thrown = error
                break
            }
        }
        #expect(thrown == RESPParsingError(input.code, offset: input.offset))
    }

    @Test(arguments: cases)
    func validatingInitializerRejectsMalformedReplyWithTheSameCode(input: MalformedCase) {
        #expect(throws: RESPParsingError(input.code, offset: input.offset)) {
            try RESPToken(validating: ByteBuffer(bytes: input.bytes))
        }
    }

    /// A good reply followed by a broken one: the first is returned, and the error of the second counts its
    /// offset from the second reply's start (a type byte after the first is only read by the next call).
    @Test(
        "the reply after a good one fails on its own, at an offset from its own start",
        arguments: [
            ("+OK\r\n:1x\r\n", RESPParsingError(.invalidInteger, offset: 1)),
            ("+OK\r\n@garbage", RESPParsingError(.invalidTypeIdentifier, offset: 0)),
        ])
    func brokenReplyAfterAGoodOneFailsAtItsOwnOffset(input: String, error: RESPParsingError) throws {
        var buffer = ByteBuffer(string: input)
        var parser = RESPParser()
        #expect(try parser.next(from: &buffer)?.string == "OK")
        #expect(throws: error) {
            try parser.next(from: &buffer)
        }
    }

    @Test func parserParsesANewStreamAfterThrowing() throws {
        var parser = RESPParser()
        var bad = ByteBuffer(string: "*2\r\n:1\r\n:x\r\n")
        #expect(throws: RESPParsingError(.invalidInteger, offset: 9)) {
            try parser.next(from: &bad)
        }
        var good = ByteBuffer(string: "+OK\r\n")
        #expect(try parser.next(from: &good)?.string == "OK")
    }

    @Test func errorDescribesTheViolationAndWhereItIs() {
        let error = RESPParsingError(.invalidInteger, offset: 3)
        #expect(error.description == "RESP protocol violation: invalid integer at byte 3 of the reply")
    }

}
