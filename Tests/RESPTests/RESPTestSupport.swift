import NIOCore
import Testing

@testable import RESP

// Shared fixtures and helpers for the RESP suites. This file declares no suite.

/// One reply (or stream of replies) as raw bytes, shown escaped in test names.
struct RawReply: Sendable, CustomTestStringConvertible {
    let bytes: [UInt8]

    init(_ text: String) { bytes = Array(text.utf8) }
    init(bytes: [UInt8]) { self.bytes = bytes }

    var buffer: ByteBuffer { ByteBuffer(bytes: bytes) }
    var testDescription: String { escaped(bytes) }
}

/// Renders bytes with `\r`, `\n` and non-printable bytes escaped, cut after 80 bytes.
func escaped(_ bytes: [UInt8]) -> String {
    var out = ""
    for byte in bytes.prefix(80) {
        switch byte {
        case 0x0D: out += "\\r"
        case 0x0A: out += "\\n"
        case 0x20..<0x7F: out.append(Character(Unicode.Scalar(byte)))
        default:
            let hex = String(byte, radix: 16)
            out += "\\x" + (hex.count == 1 ? "0" + hex : hex)
        }
    }
    return bytes.count > 80 ? out + "… (\(bytes.count) bytes)" : out
}

enum Fixtures {
    /// A binary bulk payload holding NUL, non-UTF-8 bytes and CRLF pairs, one of them right before the terminator.
    static let binaryPayload: [UInt8] = [0x00, 0x0D, 0x0A, 0xFF, 0xFE, 0x0D, 0x0A, 0x0D, 0x0A]
    static let binaryBulk: [UInt8] = Array("$9\r\n".utf8) + binaryPayload + Array("\r\n".utf8)

    static let attribute =
        "|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.1923\r\n$1\r\nb\r\n,0.0012\r\n*2\r\n:2039123\r\n:9543892\r\n"
    static let attributeInArray = "*2\r\n|1\r\n+ttl\r\n:3600\r\n$5\r\nvalue\r\n:7\r\n"
    static let push = ">3\r\n$7\r\nmessage\r\n$7\r\nchannel\r\n$5\r\nhello\r\n"
    static let nestedArray = "*2\r\n*3\r\n:1\r\n:2\r\n:3\r\n*2\r\n+Hello\r\n-World\r\n"
    static let map = "%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n"

    /// Every kind of valid RESP2 and RESP3 reply, each exactly one reply.
    static let validReplies: [RawReply] = [
        RawReply("+OK\r\n"),
        RawReply("+\r\n"),
        RawReply("-ERR unknown command 'FOO'\r\n"),
        RawReply(":0\r\n"),
        RawReply(":1000\r\n"),
        RawReply(":-42\r\n"),
        RawReply(":9223372036854775807\r\n"),
        RawReply(":-9223372036854775808\r\n"),
        RawReply("$5\r\nhello\r\n"),
        RawReply("$0\r\n\r\n"),
        RawReply(bytes: binaryBulk),
        RawReply("$-1\r\n"),
        RawReply("*-1\r\n"),
        RawReply("_\r\n"),
        RawReply("#t\r\n"),
        RawReply("#f\r\n"),
        RawReply(",1.5\r\n"),
        RawReply(",-2e10\r\n"),
        RawReply(",inf\r\n"),
        RawReply(",-inf\r\n"),
        RawReply(",nan\r\n"),
        RawReply(",10\r\n"),
        RawReply("(3492890328409238509324850943850943825024385\r\n"),
        RawReply("!21\r\nSYNTAX invalid syntax\r\n"),
        RawReply("=15\r\ntxt:Some string\r\n"),
        RawReply("*3\r\n:1\r\n:2\r\n:3\r\n"),
        RawReply(nestedArray),
        RawReply("*0\r\n"),
        RawReply(map),
        RawReply("%0\r\n"),
        RawReply("~3\r\n+a\r\n+b\r\n+c\r\n"),
        RawReply(attribute),
        RawReply(attributeInArray),
        RawReply(push),
        RawReply("*3\r\n$-1\r\n*-1\r\n_\r\n"),
        RawReply("%1\r\n$3\r\nkey\r\n*2\r\n%0\r\n~0\r\n"),
        RawReply("*2\r\n$9\r\n" + "a\r\nb\r\n\r\nc" + "\r\n=6\r\nmkd:\r\n\r\n"),
    ]
}

/// Validates `text` as exactly one reply.
func token(_ text: String, limits: RESPParserLimits = .init()) throws -> RESPToken {
    try RESPToken(validating: ByteBuffer(string: text), limits: limits)
}

/// Validates `bytes` as exactly one reply.
func token(bytes: [UInt8]) throws -> RESPToken {
    try RESPToken(validating: ByteBuffer(bytes: bytes))
}

/// The readable bytes of `buffer`.
func bytesOf(_ buffer: ByteBuffer) -> [UInt8] { Array(buffer.readableBytesView) }

/// Runs one `next(from:)` on a fresh parser over `bytes`, returning the error it throws, if any.
func parseError(_ bytes: [UInt8], limits: RESPParserLimits = .init()) -> RESPParsingError? {
    var parser = RESPParser(limits: limits)
    var buffer = ByteBuffer(bytes: bytes)
    do {
        _ = try parser.next(from: &buffer)
        return nil
    } catch {
        return error
    }
}

/// Runs one `next(from:)` on a fresh parser over `text`, returning the error it throws, if any.
func parseError(_ text: String, limits: RESPParserLimits = .init()) -> RESPParsingError? {
    parseError(Array(text.utf8), limits: limits)
}

/// Parses every complete reply in `bytes` at once, with one parser.
func parseAllAtOnce(_ bytes: [UInt8], limits: RESPParserLimits = .init()) throws -> (tokens: [RESPToken], rest: [UInt8]) {
    var parser = RESPParser(limits: limits)
    var buffer = ByteBuffer(bytes: bytes)
    var tokens: [RESPToken] = []
    while let token = try parser.next(from: &buffer) { tokens.append(token) }
    return (tokens, bytesOf(buffer))
}
