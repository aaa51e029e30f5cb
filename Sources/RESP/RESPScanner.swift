/// Byte-level scanning of single RESP headers and scalar values, shared by validation and decoding.
///
/// Offsets are relative to the start of the raw buffer passed in. Nothing here allocates.
enum RESPScanner {
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A

    /// What one header or scalar starting at an offset turned out to be.
    enum Step {
        /// A complete scalar (or null) value ending just before `end`.
        case value(end: Int)
        /// An aggregate header ending just before `end`, followed by `children` values.
        case aggregate(end: Int, children: Int)
        case needMore
        case failed(RESPParsingError)
    }

    /// Result of looking for a CRLF-terminated line.
    enum Line {
        /// The line's content is `start..<end`; the next value starts at `end + 2`.
        case found(end: Int)
        case needMore
        case failed(RESPParsingError)
    }

    /// Finds the CRLF that ends the line starting at `start`.
    @inline(__always)
    static func line(_ bytes: UnsafeRawBufferPointer, from start: Int, maxLength: Int) -> Line {
        // Written to avoid overflow when a caller's limit is close to Int.max.
        let limit = maxLength >= bytes.count - start ? bytes.count : start + maxLength + 1
        var index = start
        while index < limit {
            let byte = bytes[index]
            if byte == cr {
                guard index + 1 < bytes.count else { return .needMore }
                guard bytes[index + 1] == lf else { return .failed(RESPParsingError(.missingTerminator, offset: index + 1)) }
                return .found(end: index)
            }
            if byte == lf { return .failed(RESPParsingError(.missingTerminator, offset: index)) }
            index += 1
        }
        if bytes.count - start > maxLength { return .failed(RESPParsingError(.lineTooLong, offset: start)) }
        return .needMore
    }

    /// Parses a signed decimal integer occupying exactly `start..<end`, or nil when it is not one.
    @inline(__always)
    static func integer(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Int64? {
        var index = start
        var negative = false
        if index < end, bytes[index] == 0x2D || bytes[index] == 0x2B {
            negative = bytes[index] == 0x2D
            index += 1
        }
        guard index < end else { return nil }
        var value: Int64 = 0
        while index < end {
            let digit = bytes[index] &- 0x30
            guard digit < 10 else { return nil }
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (added, overflow2) =
                negative
                ? shifted.subtractingReportingOverflow(Int64(digit)) : shifted.addingReportingOverflow(Int64(digit))
            guard !overflow1, !overflow2 else { return nil }
            value = added
            index += 1
        }
        return value
    }

    /// Whether `start..<end` holds a RESP3 double: decimal with optional exponent, or inf, -inf, nan.
    static func isDouble(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Bool {
        double(bytes, start, end) != nil
    }

    /// Decodes a RESP3 double, or nil when `start..<end` is not one.
    static func double(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Double? {
        guard start < end, end - start <= 512 else { return nil }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
        switch text {
        case "inf", "+inf": return .infinity
        case "-inf": return -.infinity
        case "nan", "-nan": return .nan
        default: break
        }
        // Swift's parser also takes hex floats and words like "infinity"; RESP allows only decimal notation.
        for byte in text.utf8 {
            switch byte {
            case 0x30...0x39, 0x2B, 0x2D, 0x2E, 0x45, 0x65: continue
            default: return nil
            }
        }
        return Double(text)
    }

    /// Validates the header or scalar value that starts at `start`.
    static func scanHeader(_ bytes: UnsafeRawBufferPointer, at start: Int, limits: RESPParserLimits) -> Step {
        guard start < bytes.count else { return .needMore }
        guard let type = RESPTypeIdentifier(rawValue: bytes[start]) else {
            return .failed(RESPParsingError(.invalidTypeIdentifier, offset: start))
        }
        let contentStart = start + 1
        let lineEnd: Int
        switch line(bytes, from: contentStart, maxLength: limits.maxLineLength) {
        case .needMore: return .needMore
        case .failed(let error): return .failed(error)
        case .found(let end): lineEnd = end
        }
        let next = lineEnd + 2
        switch type {
        case .simpleString, .simpleError:
            return .value(end: next)
        case .integer:
            guard integer(bytes, contentStart, lineEnd) != nil else {
                return .failed(RESPParsingError(.invalidInteger, offset: contentStart))
            }
            return .value(end: next)
        case .double:
            guard isDouble(bytes, contentStart, lineEnd) else {
                return .failed(RESPParsingError(.invalidDouble, offset: contentStart))
            }
            return .value(end: next)
        case .boolean:
            guard lineEnd == contentStart + 1, bytes[contentStart] == 0x74 || bytes[contentStart] == 0x66 else {
                return .failed(RESPParsingError(.invalidBoolean, offset: contentStart))
            }
            return .value(end: next)
        case .null:
            guard lineEnd == contentStart else { return .failed(RESPParsingError(.invalidNull, offset: contentStart)) }
            return .value(end: next)
        case .bigNumber:
            var digitsStart = contentStart
            if digitsStart < lineEnd, bytes[digitsStart] == 0x2D || bytes[digitsStart] == 0x2B { digitsStart += 1 }
            guard digitsStart < lineEnd, (digitsStart..<lineEnd).allSatisfy({ bytes[$0] &- 0x30 < 10 }) else {
                return .failed(RESPParsingError(.invalidBigNumber, offset: contentStart))
            }
            return .value(end: next)
        case .bulkString, .bulkError, .verbatimString:
            guard let declared = integer(bytes, contentStart, lineEnd) else {
                return .failed(RESPParsingError(.invalidLength, offset: contentStart))
            }
            if declared == -1 && type == .bulkString { return .value(end: next) }
            guard declared >= 0 else { return .failed(RESPParsingError(.invalidLength, offset: contentStart)) }
            guard declared <= limits.maxBulkLength else {
                return .failed(RESPParsingError(.lengthLimitExceeded, offset: contentStart))
            }
            let length = Int(declared)
            guard length <= bytes.count - next - 2 else { return .needMore }
            let payloadEnd = next + length
            guard bytes[payloadEnd] == cr, bytes[payloadEnd + 1] == lf else {
                return .failed(RESPParsingError(.missingTerminator, offset: payloadEnd))
            }
            if type == .verbatimString {
                guard length >= 4, bytes[next + 3] == 0x3A else {
                    return .failed(RESPParsingError(.invalidVerbatimString, offset: next))
                }
            }
            return .value(end: payloadEnd + 2)
        case .array, .set, .push, .map, .attribute:
            guard let declared = integer(bytes, contentStart, lineEnd) else {
                return .failed(RESPParsingError(.invalidLength, offset: contentStart))
            }
            if declared == -1 && type == .array { return .value(end: next) }
            guard declared >= 0 else { return .failed(RESPParsingError(.invalidLength, offset: contentStart)) }
            let pairs = type == .map || type == .attribute
            guard declared <= (pairs ? limits.maxAggregateCount / 2 : limits.maxAggregateCount) else {
                return .failed(RESPParsingError(.countLimitExceeded, offset: contentStart))
            }
            var children = Int(declared)
            if pairs { children *= 2 }  // cannot overflow: declared <= maxAggregateCount / 2
            // An attribute map is followed by the value it annotates; both together are one value.
            if type == .attribute { children += 1 }
            return .aggregate(end: next, children: children)
        }
    }

    /// Byte length of the already validated value that starts at `start`, or nil if the bytes are not one.
    static func valueLength(_ bytes: UnsafeRawBufferPointer, at start: Int) -> Int? {
        var index = start
        var remaining = 1
        let limits = RESPParserLimits(
            maxBulkLength: .max, maxAggregateCount: .max, maxDepth: .max, maxLineLength: bytes.count)
        while remaining > 0 {
            switch scanHeader(bytes, at: index, limits: limits) {
            case .value(let end):
                index = end
                remaining -= 1
            case .aggregate(let end, let children):
                index = end
                remaining += children - 1
            case .needMore, .failed:
                return nil
            }
        }
        return index - start
    }
}
