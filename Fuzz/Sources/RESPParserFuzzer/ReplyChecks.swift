import NIOCore
import RESP

/// Decodes one validated reply through every accessor, recursively, and checks the result against its bytes.
///
/// Decoding happens on demand, long after validation, and trusts that validation: these checks are what
/// would notice a reply that validates but then decodes to something else, or traps while decoding.
enum ReplyChecks {
    /// Checks `reply` and, for aggregates, each element; `depth` is how many aggregates enclose it.
    static func check(_ reply: RESPToken, depth: Int) {
        // Validation caps nesting at maxDepth (32 by default); attributes add one level per annotated value.
        guard depth <= 2 * RESPParserLimits().maxDepth + 2 else { RESPParserFuzzing.fail("nested too deep", reply) }
        let bytes = Array(reply.base.readableBytesView)
        guard let first = bytes.first, let type = RESPTypeIdentifier(rawValue: first), reply.type == type else {
            RESPParserFuzzing.fail("type byte does not name the reply's type", reply)
        }
        // Any piece of a valid stream that is one reply must validate on its own, to the same reply.
        let revalidated = Result { () throws(RESPParsingError) in try RESPToken(validating: reply.base) }
        guard case .success(let again) = revalidated, again == reply else {
            RESPParserFuzzing.fail("a reply does not validate on its own (\(revalidated))", reply)
        }
        guard let cr = bytes.firstIndex(of: 0x0D), cr + 1 < bytes.count, bytes[cr + 1] == 0x0A else {
            RESPParserFuzzing.fail("no header line", reply)
        }
        let header = Array(bytes[1..<cr])
        let headerText = String(decoding: header, as: UTF8.self)
        let payloadStart = cr + 2
        checkStringAccessors(reply)

        switch reply.value {
        case .simpleString(let payload), .bigNumber(let payload):
            expect(Array(payload.readableBytesView) == header, "line payload differs from the line", reply)
            expect(payloadStart == bytes.count, "bytes after a one-line reply", reply)
            if type == .bigNumber {
                let digits = header.first == 0x2B || header.first == 0x2D ? header.dropFirst() : header[...]
                expect(!digits.isEmpty && digits.allSatisfy { $0 &- 0x30 < 10 }, "big number is not digits", reply)
            } else {
                expect(type == .simpleString, "wrong case for type", reply)
            }
        case .simpleError(let payload):
            expect(type == .simpleError && reply.isError, "wrong case for type", reply)
            expect(Array(payload.readableBytesView) == header, "error payload differs from the line", reply)
            expect(reply.errorMessage == headerText, "errorMessage differs from the line", reply)
        case .integer(let value):
            expect(type == .integer, "wrong case for type", reply)
            expect(Int64(headerText) == value, "integer \(value) is not the line's number", reply)
            expect(reply.int == value && reply.double == Double(value), "int or double accessor differs", reply)
            expect(reply.bool == (value == 0 ? false : value == 1 ? true : nil), "bool accessor on integer", reply)
        case .double(let value):
            expect(type == .double, "wrong case for type", reply)
            checkDouble(value, text: headerText, reply)
            expect(reply.double.map { $0 == value || ($0.isNaN && value.isNaN) } == true, "double accessor", reply)
        case .boolean(let value):
            expect(type == .boolean, "wrong case for type", reply)
            expect(header == [value ? 0x74 : 0x66], "boolean is not t or f", reply)
            expect(reply.bool == value, "bool accessor differs", reply)
        case .null:
            checkNull(type: type, headerText: headerText, reply)
        case .bulkString(let payload), .bulkError(let payload):
            expect(type == .bulkString || type == .bulkError, "wrong case for type", reply)
            expect(type == .bulkString || reply.isError, "bulk error is not an error", reply)
            let length = checkBulk(headerText: headerText, payloadStart: payloadStart, bytes: bytes, reply)
            expect(Array(payload.readableBytesView) == Array(bytes[payloadStart..<(payloadStart + length)]), "bulk payload", reply)
            if type == .bulkError {
                expect(reply.errorMessage == String(decoding: payload.readableBytesView, as: UTF8.self), "errorMessage", reply)
            }
        case .verbatimString(let format, let text):
            expect(type == .verbatimString, "wrong case for type", reply)
            let length = checkBulk(headerText: headerText, payloadStart: payloadStart, bytes: bytes, reply)
            expect(length >= 4 && bytes[payloadStart + 3] == 0x3A, "verbatim string without format", reply)
            expect(Array(format.readableBytesView) == Array(bytes[payloadStart..<(payloadStart + 3)]), "verbatim format", reply)
            expect(text.readableBytes == length - 4, "verbatim text length", reply)
        case .array(let elements), .set(let elements), .push(let elements):
            let expectedType: RESPTypeIdentifier
            switch reply.value {
            case .set: expectedType = .set
            case .push: expectedType = .push
            default: expectedType = .array
            }
            expect(type == expectedType, "wrong case for type", reply)
            expect(Int64(headerText) == Int64(elements.count), "element count is not the header's", reply)
            expect(elements.isEmpty == (elements.count == 0), "isEmpty", reply)
            expect(reply.array == elements && reply.map == nil, "array accessor", reply)
            let children = Array(elements)
            expect(children.count == elements.count, "\(children.count) of \(elements.count) elements decoded", reply)
            expectTiles(children, from: payloadStart, of: bytes, reply)
            for child in children { check(child, depth: depth + 1) }
        case .map(let pairs):
            expect(type == .map, "wrong case for type", reply)
            expect(Int64(headerText) == Int64(pairs.count), "pair count is not the header's", reply)
            expect(reply.map == pairs && reply.array == nil, "map accessor", reply)
            let decoded = Array(pairs)
            expect(decoded.count == pairs.count, "\(decoded.count) of \(pairs.count) pairs decoded", reply)
            let children = decoded.flatMap { [$0.key, $0.value] }
            expectTiles(children, from: payloadStart, of: bytes, reply)
            for child in children { check(child, depth: depth + 1) }
        case .attribute(let pairs, let annotated):
            expect(type == .attribute, "wrong case for type", reply)
            expect(Int64(headerText) == Int64(pairs.count), "attribute count is not the header's", reply)
            let decoded = Array(pairs)
            expect(decoded.count == pairs.count, "\(decoded.count) of \(pairs.count) attributes decoded", reply)
            let children = decoded.flatMap { [$0.key, $0.value] } + [annotated]
            expectTiles(children, from: payloadStart, of: bytes, reply)
            for child in children { check(child, depth: depth + 1) }
            var unwrapped = annotated
            while case .attribute(_, let inner) = unwrapped.value { unwrapped = inner }
            expect(reply.withoutAttributes == unwrapped, "withoutAttributes", reply)
        }
        if type != .attribute {
            expect(reply.withoutAttributes == reply, "withoutAttributes changed a reply without attributes", reply)
        }
    }

    /// Checks the accessors every reply has, which must agree with each other whatever the type.
    static func checkStringAccessors(_ reply: RESPToken) {
        let payload = reply.bytes
        expect((reply.string == nil) == (payload == nil), "string and bytes disagree", reply)
        guard let payload else { return }
        let text = String(decoding: payload.readableBytesView, as: UTF8.self)
        expect(reply.string == text, "string is not the payload's text", reply)
        // The standard library's integer parser takes the same grammar: optional sign, then ASCII digits.
        if reply.type != .integer { expect(reply.int == Int64(text), "int of \(text.debugDescription)", reply) }
        if let value = reply.double, !value.isNaN, reply.type != .double, reply.type != .integer {
            expect(Double(text) == value || text.lowercased().hasSuffix("inf"), "double of \(text.debugDescription)", reply)
        }
    }

    /// Checks a decoded RESP3 double against its text.
    static func checkDouble(_ value: Double, text: String, _ reply: RESPToken) {
        switch text {
        case "inf", "+inf": expect(value == .infinity, "inf", reply)
        case "-inf": expect(value == -.infinity, "-inf", reply)
        case "nan", "-nan": expect(value.isNaN, "nan", reply)
        default:
            // Anything else must be plain decimal notation, which Swift's parser reads the same way.
            let decimal = text.utf8.allSatisfy { "0123456789+-.eE".utf8.contains($0) }
            expect(decimal, "double \(text.debugDescription) is not decimal notation", reply)
            expect(Double(text) == value, "double \(value) is not \(text.debugDescription)", reply)
        }
    }

    /// Checks a null: RESP3's `_`, or a bulk string or array declaring length -1 (in any spelling of -1).
    static func checkNull(type: RESPTypeIdentifier, headerText: String, _ reply: RESPToken) {
        expect(reply.isNull, "isNull", reply)
        expect(reply.bytes == nil && reply.array == nil && reply.map == nil, "a null has a payload", reply)
        switch type {
        case .null: expect(headerText.isEmpty, "null with content", reply)
        case .bulkString, .array: expect(Int64(headerText) == -1, "null \(type) does not declare -1", reply)
        default: RESPParserFuzzing.fail("null decoded from a \(type)", reply)
        }
    }

    /// Checks a bulk-style reply's framing and returns its declared payload length.
    static func checkBulk(headerText: String, payloadStart: Int, bytes: [UInt8], _ reply: RESPToken) -> Int {
        guard let declared = Int64(headerText), declared >= 0, declared <= Int64(bytes.count) else {
            RESPParserFuzzing.fail("bulk length \(headerText.debugDescription) invalid", reply)
        }
        let length = Int(declared)
        expect(payloadStart + length + 2 == bytes.count, "bulk reply is not header, payload, CRLF", reply)
        expect(bytes[bytes.count - 2] == 0x0D && bytes[bytes.count - 1] == 0x0A, "bulk payload not followed by CRLF", reply)
        return length
    }

    /// Checks that `children`, in order, are exactly the bytes of the reply after its header.
    static func expectTiles(_ children: [RESPToken], from start: Int, of bytes: [UInt8], _ reply: RESPToken) {
        var offset = start
        for child in children {
            let length = child.base.readableBytes
            guard length > 0, offset + length <= bytes.count,
                child.base.readableBytesView.elementsEqual(bytes[offset..<(offset + length)])
            else { RESPParserFuzzing.fail("elements are not the bytes after the header", reply) }
            offset += length
        }
        expect(offset == bytes.count, "bytes left after the last element", reply)
    }

    /// Stops with `message` unless `condition` holds.
    static func expect(_ condition: Bool, _ message: @autoclosure () -> String, _ reply: RESPToken) {
        if !condition { RESPParserFuzzing.fail(message(), reply) }
    }
}
