import NIOCore

extension RESPToken: CustomStringConvertible {
    /// A one-line rendering in the style of redis-cli, for logs and test failures; long payloads are cut.
    public var description: String {
        switch value {
        case .simpleString(let buffer): return Self.quoted(buffer)
        case .bulkString(let buffer): return Self.quoted(buffer)
        case .verbatimString(let format, let text): return "\(String(buffer: format)):\(Self.quoted(text))"
        case .simpleError(let buffer), .bulkError(let buffer): return "(error) \(String(buffer: buffer))"
        case .integer(let value): return "(integer) \(value)"
        case .double(let value): return "(double) \(value)"
        case .boolean(let value): return "(boolean) \(value)"
        case .bigNumber(let buffer): return "(big number) \(String(buffer: buffer))"
        case .null: return "(nil)"
        case .array(let elements): return "[" + Self.list(elements) + "]"
        case .set(let elements): return "set{" + Self.list(elements) + "}"
        case .push(let elements): return "push[" + Self.list(elements) + "]"
        case .map(let pairs): return "{" + pairs.prefix(16).map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}"
        case .attribute(let pairs, let annotated):
            return "|" + pairs.prefix(16).map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "| \(annotated)"
        }
    }

    private static func list(_ elements: RESPToken.Array) -> String {
        let shown = elements.prefix(16).map(\.description).joined(separator: ", ")
        return elements.count > 16 ? shown + ", … (\(elements.count) elements)" : shown
    }

    private static func quoted(_ buffer: ByteBuffer) -> String {
        let limit = 200
        let shown = buffer.getSlice(at: buffer.readerIndex, length: min(limit, buffer.readableBytes)) ?? buffer
        let text = String(buffer: shown).debugDescription
        return buffer.readableBytes > limit ? text + "… (\(buffer.readableBytes) bytes)" : text
    }
}
