#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Sends one command to a local redis-server over a raw blocking socket and reads a one-line or bulk reply.
///
/// The cluster fixture polls every node's `CLUSTER INFO`, `CLUSTER NODES` and `INFO replication` many times a
/// second; spawning redis-cli for each would cost more than the failover being measured, and using the client
/// library would make the fixture depend on the code it tests. Aggregate replies (arrays, maps) are not
/// understood, so only use commands that answer with a simple string, error, integer or bulk string.
struct RedisCommandProbe: Sendable {
    /// What the server answered.
    enum Reply: Sendable, Equatable {
        /// A simple string, bulk string or integer, as text; a null bulk string is empty.
        case text(String)
        /// An error reply without its leading `-`.
        case error(String)
    }

    /// The loopback TCP port of the server.
    let port: Int

    /// Sends `arguments` as one command and returns the reply, or nil when the server cannot be reached, the
    /// connection breaks, the reply is an aggregate, or nothing arrives within the socket's 1 s timeout.
    ///
    /// Blocks the calling thread for at most about a second per read; on loopback a live server answers in well
    /// under a millisecond, and a dead one refuses the connection at once.
    func send(_ arguments: [String]) -> Reply? {
        guard let descriptor = RedisPingProbe(endpoint: .tcp(port: port), sendsPing: false).connectSocket() else {
            return nil
        }
        defer { close(descriptor) }

        var request = "*\(arguments.count)\r\n"
        for argument in arguments {
            request += "$\(argument.utf8.count)\r\n\(argument)\r\n"
        }
        guard writeAll(Array(request.utf8), to: descriptor) else { return nil }

        var reader = Reader(descriptor: descriptor)
        guard let header = reader.line(), let kind = header.first else { return nil }
        let rest = String(decoding: header.dropFirst(), as: UTF8.self)
        switch kind {
        case UInt8(ascii: "+"), UInt8(ascii: ":"):
            return .text(rest)
        case UInt8(ascii: "-"):
            return .error(rest)
        case UInt8(ascii: "$"):
            guard let length = Int(rest) else { return nil }
            if length < 0 { return .text("") }
            guard let body = reader.bytes(length + 2) else { return nil }
            return .text(String(decoding: body.dropLast(2), as: UTF8.self))
        default:
            return nil
        }
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
