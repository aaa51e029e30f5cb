import Foundation
import IPWatcherTestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// A raw TCP client for the fault proxy's tests. This file declares no suite.

/// A plain non-blocking TCP connection to 127.0.0.1 that sends raw bytes and reads until the peer ends it, telling
/// a reset (`ECONNRESET`) from an orderly close, which a NIO channel does not.
final class ProbeSocket {
    /// How the connection ended while being read.
    enum Ending: Equatable { case closed, reset, stillOpen }

    private let descriptor: Int32
    private var closed = false

    /// Connects to 127.0.0.1:`port`.
    init(port: Int) throws {
        descriptor = try LoopbackClientSocket.connect(port: port)
    }

    deinit { close() }

    /// Closes the connection (an orderly FIN); the deinitialiser does it otherwise.
    func close() {
        guard !closed else { return }
        closed = true
        systemClose(descriptor)
    }

    /// Sends `text` whole.
    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { systemSend(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard written == bytes.count else { throw ProbeSocketError("cannot send \(bytes.count) bytes") }
    }

    /// Reads until the peer closes or resets the connection, or `limit` passes; returns the bytes and the ending.
    func readToEnd(within limit: Duration) async throws -> (bytes: [UInt8], ending: Ending) {
        let deadline = ContinuousClock.now.advanced(by: limit)
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while ContinuousClock.now < deadline {
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                received += chunk[0..<count]
            } else if count == 0 {
                return (received, .closed)
            } else if errno == ECONNRESET {
                return (received, .reset)
            } else if errno == EAGAIN || errno == EWOULDBLOCK {
                try await Task.sleep(for: .milliseconds(5))
            } else {
                throw ProbeSocketError("recv: \(String(cString: strerror(errno)))")
            }
        }
        return (received, .stillOpen)
    }
}

/// The C library's `close`, which the method of the same name hides.
private func systemClose(_ descriptor: Int32) {
    _ = close(descriptor)
}

/// The C library's `send`, which the method of the same name hides.
private func systemSend(_ descriptor: Int32, _ pointer: UnsafeRawPointer?, _ count: Int, _ flags: Int32) -> Int {
    send(descriptor, pointer, count, flags)
}

/// A failure of the probe socket's own plumbing.
struct ProbeSocketError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
