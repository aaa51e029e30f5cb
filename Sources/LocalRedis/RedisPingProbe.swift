#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Asks a starting redis-server whether it answers yet, over a raw blocking socket.
///
/// A raw socket keeps this module free of the client library it is used to test. Timeouts are short
/// because the peer is on loopback: a probe either succeeds within milliseconds or the caller polls again.
struct RedisPingProbe: Sendable {
    /// Where to connect.
    let endpoint: LoopbackSocketAddress
    /// When false, an accepted connection counts as success; used for TLS-only servers that cannot be pinged in clear text.
    let sendsPing: Bool

    /// True once the server replies `+PONG`, or `-NOAUTH` when a password is required.
    ///
    /// `-LOADING` and every other reply count as not ready, so a server still replaying its append-only file is waited for.
    func succeeds() -> Bool {
        guard let descriptor = connectSocket() else { return false }
        defer { close(descriptor) }
        guard sendsPing else { return true }

        let request = Array("PING\r\n".utf8)
        let sent = request.withUnsafeBytes { buffer in
            send(descriptor, buffer.baseAddress, buffer.count, Self.noSignal)
        }
        guard sent == request.count else { return false }

        var reply: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 128)
        while reply.count < 512, !reply.contains(UInt8(ascii: "\n")) {
            let received = chunk.withUnsafeMutableBytes { buffer in
                recv(descriptor, buffer.baseAddress, buffer.count, 0)
            }
            guard received > 0 else { return false }
            reply.append(contentsOf: chunk[0..<received])
        }
        let line = String(decoding: reply, as: UTF8.self)
        return line.hasPrefix("+PONG") || line.hasPrefix("-NOAUTH")
    }

    #if canImport(Glibc)
    private static let noSignal = Int32(MSG_NOSIGNAL)
    #else
    private static let noSignal: Int32 = 0
    #endif

    /// A connected blocking socket with 1 s send and receive timeouts, or nil; also used by ``RedisCommandProbe``.
    func connectSocket() -> Int32? {
        endpoint.open(connect) { descriptor in
            var timeout = timeval(tv_sec: 1, tv_usec: 0)
            let timevalSize = socklen_t(MemoryLayout<timeval>.size)
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, timevalSize)
            setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, timevalSize)
            #if canImport(Darwin)
            var one: Int32 = 1
            setsockopt(descriptor, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
            #endif
        }?.descriptor
    }
}
