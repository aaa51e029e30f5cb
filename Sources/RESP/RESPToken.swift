import NIOCore

/// One complete, validated RESP reply, kept as the bytes it arrived in and decoded on demand.
///
/// A token shares storage with the buffer it was cut from, so holding one costs no copy of its payload. Only
/// ``RESPParser`` (or ``init(validating:limits:)``) creates tokens, which is why decoding never fails on
/// malformed bytes: the bytes were checked once, when the reply was cut.
public struct RESPToken: Sendable, Hashable {
    /// The reply's bytes, from its type byte to its final CRLF.
    public let base: ByteBuffer

    init(validated base: ByteBuffer) {
        self.base = base
    }

    /// Validates `buffer` as exactly one reply, with nothing after it.
    public init(validating buffer: ByteBuffer, limits: RESPParserLimits = .init()) throws(RESPParsingError) {
        var remaining = buffer
        var parser = RESPParser(limits: limits)
        guard let token = try parser.next(from: &remaining) else {
            throw RESPParsingError(.incomplete, offset: buffer.readableBytes)
        }
        guard remaining.readableBytes == 0 else {
            throw RESPParsingError(.trailingBytes, offset: token.base.readableBytes)
        }
        self = token
    }

    /// The reply's type, read from its first byte.
    public var type: RESPTypeIdentifier {
        base.getInteger(at: base.readerIndex, as: UInt8.self).flatMap(RESPTypeIdentifier.init(rawValue:)) ?? .null
    }

    /// The decoded reply; aggregates are views that decode their elements as they are iterated.
    public var value: Value {
        base.withUnsafeReadableBytes { bytes in Self.decode(bytes, base: base) }
    }

    /// A decoded reply.
    public enum Value: Sendable, Hashable {
        case simpleString(ByteBuffer)
        case simpleError(ByteBuffer)
        case integer(Int64)
        case double(Double)
        case boolean(Bool)
        /// RESP3 `_`, and RESP2's null bulk string and null array.
        case null
        /// The decimal digits, with an optional sign.
        case bigNumber(ByteBuffer)
        case bulkString(ByteBuffer)
        case bulkError(ByteBuffer)
        /// The three-byte format (such as `txt` or `mkd`) and the text after the colon.
        case verbatimString(format: ByteBuffer, text: ByteBuffer)
        case array(RESPToken.Array)
        case set(RESPToken.Array)
        case push(RESPToken.Array)
        case map(RESPToken.Map)
        /// Out-of-band attributes and the value they annotate.
        case attribute(RESPToken.Map, RESPToken)
    }

    private static func decode(_ bytes: UnsafeRawBufferPointer, base: ByteBuffer) -> Value {
        guard let first = bytes.first, let type = RESPTypeIdentifier(rawValue: first),
            case .found(let lineEnd) = RESPScanner.line(bytes, from: 1, maxLength: bytes.count)
        else { return .null }
        let next = lineEnd + 2
        func slice(_ start: Int, _ end: Int) -> ByteBuffer {
            base.getSlice(at: base.readerIndex + start, length: end - start) ?? ByteBuffer()
        }
        switch type {
        case .simpleString: return .simpleString(slice(1, lineEnd))
        case .simpleError: return .simpleError(slice(1, lineEnd))
        case .integer: return .integer(RESPScanner.integer(bytes, 1, lineEnd) ?? 0)
        case .double: return .double(RESPScanner.double(bytes, 1, lineEnd) ?? .nan)
        case .boolean: return .boolean(bytes[1] == 0x74)
        case .null: return .null
        case .bigNumber: return .bigNumber(slice(1, lineEnd))
        case .bulkString, .bulkError, .verbatimString:
            let length = Int(RESPScanner.integer(bytes, 1, lineEnd) ?? -1)
            guard length >= 0 else { return .null }
            switch type {
            case .bulkError: return .bulkError(slice(next, next + length))
            case .verbatimString: return .verbatimString(format: slice(next, next + 3), text: slice(next + 4, next + length))
            default: return .bulkString(slice(next, next + length))
            }
        case .array, .set, .push, .map, .attribute:
            let count = Int(RESPScanner.integer(bytes, 1, lineEnd) ?? -1)
            guard count >= 0 else { return .null }
            let elements = slice(next, bytes.count)
            switch type {
            case .set: return .set(Array(elements: elements, count: count))
            case .push: return .push(Array(elements: elements, count: count))
            case .map: return .map(Map(elements: elements, count: count))
            case .attribute:
                let annotated = elements.withUnsafeReadableBytes { pairsAndValue -> ByteBuffer in
                    var offset = 0
                    for _ in 0..<(2 * count) {
                        offset += RESPScanner.valueLength(pairsAndValue, at: offset) ?? 0
                    }
                    return elements.getSlice(at: elements.readerIndex + offset, length: elements.readableBytes - offset)
                        ?? ByteBuffer()
                }
                let attributeBytes = elements.getSlice(
                    at: elements.readerIndex, length: elements.readableBytes - annotated.readableBytes) ?? ByteBuffer()
                return .attribute(Map(elements: attributeBytes, count: count), RESPToken(validated: annotated))
            default: return .array(Array(elements: elements, count: count))
            }
        }
    }
}
