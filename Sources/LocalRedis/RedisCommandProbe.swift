import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Sends one command to a local redis-server (or sentinel) over a raw blocking socket and reads its reply.
///
/// The cluster and sentinel fixtures poll every node's `CLUSTER INFO`, `INFO replication` and `SENTINEL MASTER`
/// many times a second; spawning redis-cli for each would cost more than the failover being measured, and using
/// the client library would make the fixtures depend on the code they test. RESP2 only (no `HELLO`), so maps
/// arrive as flat arrays of names and values.
struct RedisCommandProbe: Sendable {
    /// What the server answered.
    enum Reply: Sendable, Equatable {
        /// A simple string, bulk string or integer, as text; a null bulk string is empty.
        case text(String)
        /// An error reply without its leading `-`.
        case error(String)
        /// An array, its elements in order; a null array is empty.
        case array([Reply])

        /// The elements of an array reply, nil for any other reply.
        var elements: [Reply]? {
            guard case .array(let elements) = self else { return nil }
            return elements
        }

        /// The text of a string or integer reply, nil for any other reply.
        var text: String? {
            guard case .text(let text) = self else { return nil }
            return text
        }

        /// A flat array of alternating names and values (`SENTINEL MASTER` in RESP2) as a dictionary, or nil
        /// when the reply is not such an array.
        var fields: [String: String]? {
            guard let elements, elements.count.isMultiple(of: 2) else { return nil }
            var fields: [String: String] = [:]
            for index in stride(from: 0, to: elements.count, by: 2) {
                guard let name = elements[index].text, let value = elements[index + 1].text else { return nil }
                fields[name] = value
            }
            return fields
        }
    }

    /// Deepest nesting of arrays read; `SENTINEL REPLICAS` needs two levels.
    private static let maximumDepth = 4

    /// The loopback TCP port of the server.
    let port: Int
    /// When set, `AUTH <password>` is sent before the command, in the same write.
    var password: String? = nil

    /// Sends `arguments` as one command and returns the reply, or nil when the server cannot be reached, the
    /// connection breaks, arrays nest deeper than 4 levels, or nothing arrives within the socket's 1 s timeout.
    ///
    /// With a ``password``, a refused `AUTH` is returned as its error reply instead of the command's reply. Blocks
    /// the calling thread for at most about a second per read; on loopback a live server answers in well under a
    /// millisecond, and a dead one refuses the connection at once.
    func send(_ arguments: [String]) -> Reply? {
        guard let descriptor = RedisPingProbe(endpoint: .tcp(port: port), sendsPing: false).connectSocket() else {
            return nil
        }
        defer { close(descriptor) }

        var request = password.map { Self.encode(["AUTH", $0]) } ?? ""
        request += Self.encode(arguments)
        guard writeAll(Array(request.utf8), to: descriptor) else { return nil }

        var reader = Reader(descriptor: descriptor)
        if password != nil {
            switch reader.reply(depth: 0) {
            case .text?: break
            case let refusal?: return refusal
            case nil: return nil
            }
        }
        return reader.reply(depth: 0)
    }

    /// The value of `name:value` in an `INFO` or `CLUSTER INFO` reply, or nil.
    static func infoField(_ name: String, in reply: String) -> String? {
        let prefix = name + ":"
        for line in reply.split(whereSeparator: \.isNewline) where line.hasPrefix(prefix) {
            return line.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces)
        }
        return nil
    }

    /// One command as a RESP array of bulk strings.
    private static func encode(_ arguments: [String]) -> String {
        var request = "*\(arguments.count)\r\n"
        for argument in arguments {
            request += "$\(argument.utf8.count)\r\n\(argument)\r\n"
        }
        return request
    }

    #if canImport(Glibc)
    private static let noSignal = Int32(MSG_NOSIGNAL)
    #else
    private static let noSignal: Int32 = 0
    #endif

    private func writeAll(_ bytes: [UInt8], to descriptor: Int32) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { buffer in
                #if canImport(Glibc)
                Glibc.send(descriptor, buffer.baseAddress, buffer.count, Self.noSignal)
                #else
                Darwin.send(descriptor, buffer.baseAddress, buffer.count, Self.noSignal)
                #endif
            }
            guard sent > 0 else { return false }
            offset += sent
        }
        return true
    }

    /// Buffered reads from the socket; every read fails (nil) on timeout, error or end of stream.
    private struct Reader {
        let descriptor: Int32
        var buffer: [UInt8] = []

        /// The next whole reply; nil for a RESP3 type, a malformed header or arrays nested too deeply.
        mutating func reply(depth: Int) -> Reply? {
            guard let header = line(), let kind = header.first else { return nil }
            let rest = String(decoding: header.dropFirst(), as: UTF8.self)
            switch kind {
            case UInt8(ascii: "+"), UInt8(ascii: ":"):
                return .text(rest)
            case UInt8(ascii: "-"):
                return .error(rest)
            case UInt8(ascii: "$"):
                guard let length = Int(rest) else { return nil }
                if length < 0 { return .text("") }
                guard let body = bytes(length + 2) else { return nil }
                return .text(String(decoding: body.dropLast(2), as: UTF8.self))
            case UInt8(ascii: "*"):
                guard let count = Int(rest), depth < RedisCommandProbe.maximumDepth else { return nil }
                var elements: [Reply] = []
                for _ in 0..<max(count, 0) {
                    guard let element = reply(depth: depth + 1) else { return nil }
                    elements.append(element)
                }
                return .array(elements)
            default:
                return nil
            }
        }

        /// The next line without its CRLF.
        mutating func line() -> [UInt8]? {
            while true {
                if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    var line = Array(buffer[..<newline])
                    buffer.removeSubrange(...newline)
                    if line.last == UInt8(ascii: "\r") { line.removeLast() }
                    return line
                }
                guard fill() else { return nil }
            }
        }

        /// Exactly `count` bytes.
        mutating func bytes(_ count: Int) -> [UInt8]? {
            while buffer.count < count {
                guard fill() else { return nil }
            }
            let result = Array(buffer[..<count])
            buffer.removeSubrange(..<count)
            return result
        }

        private mutating func fill() -> Bool {
            var chunk = [UInt8](repeating: 0, count: 16 * 1024)
            let received = chunk.withUnsafeMutableBytes { raw in
                recv(descriptor, raw.baseAddress, raw.count, 0)
            }
            guard received > 0 else { return false }
            buffer.append(contentsOf: chunk[0..<received])
            return true
        }
    }
}
