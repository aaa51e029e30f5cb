import NIOCore

/// A value that encodes as zero or more RESP bulk strings of a command.
///
/// Most types contribute one bulk string; an array contributes one per element and nil contributes none, so
/// optional flags and variadic lists fit in one call to ``RESPCommandEncoder/encode(_:)``.
public protocol RESPArgument {
    /// How many bulk strings ``encodeRESP(into:)`` writes; the command header needs the total before any is written.
    var respArgumentCount: Int { get }
    /// Appends this argument's bulk strings to `buffer`.
    func encodeRESP(into buffer: inout ByteBuffer)
}

extension String: RESPArgument {
    public var respArgumentCount: Int { 1 }
    public func encodeRESP(into buffer: inout ByteBuffer) {
        var copy = self
        copy.withUTF8 { buffer.writeRESPBulk(UnsafeRawBufferPointer($0)) }
    }
}

extension Substring: RESPArgument {
    public var respArgumentCount: Int { 1 }
    public func encodeRESP(into buffer: inout ByteBuffer) {
        var copy = self
        copy.withUTF8 { buffer.writeRESPBulk(UnsafeRawBufferPointer($0)) }
    }
}

extension ByteBuffer: RESPArgument {
    public var respArgumentCount: Int { 1 }
    public func encodeRESP(into buffer: inout ByteBuffer) {
        withUnsafeReadableBytes { buffer.writeRESPBulk($0) }
    }
}

extension Int: RESPArgument {
    public var respArgumentCount: Int { 1 }
    public func encodeRESP(into buffer: inout ByteBuffer) { Int64(self).encodeRESP(into: &buffer) }
}

extension Int64: RESPArgument {
    public var respArgumentCount: Int { 1 }
    public func encodeRESP(into buffer: inout ByteBuffer) {
        buffer.writeRESPBulkDecimal(self)
    }
}

extension Double: RESPArgument {
    public var respArgumentCount: Int { 1 }
    public func encodeRESP(into buffer: inout ByteBuffer) {
        // Redis reads "inf" and "-inf" but not Swift's "nan"; callers must not send NaN as a score.
        let text: String = isInfinite ? (self < 0 ? "-inf" : "inf") : "\(self)"
        text.encodeRESP(into: &buffer)
    }
}

extension Array: RESPArgument where Element: RESPArgument {
    public var respArgumentCount: Int { reduce(0) { $0 + $1.respArgumentCount } }
    public func encodeRESP(into buffer: inout ByteBuffer) {
        for element in self { element.encodeRESP(into: &buffer) }
    }
}

extension Optional: RESPArgument where Wrapped: RESPArgument {
    public var respArgumentCount: Int { self?.respArgumentCount ?? 0 }
    public func encodeRESP(into buffer: inout ByteBuffer) { self?.encodeRESP(into: &buffer) }
}
