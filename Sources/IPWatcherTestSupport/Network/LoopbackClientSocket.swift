#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The client end of a plain TCP connection to 127.0.0.1, for tests that must see raw bytes and how a connection
/// ends (a subscriber that speaks RESP itself, a probe telling a reset from a close), which a NIO channel hides.
public enum LoopbackClientSocket {
    /// Connects to 127.0.0.1:`port` (blocking until the kernel completes it) and returns the descriptor, switched to
    /// non-blocking for reads that poll; the caller closes it.
    public static func connect(port: Int) throws(LoopbackSocketError) -> Int32 {
        #if canImport(Glibc)
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { throw LoopbackSocketError(operation: "socket") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                systemConnect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard connected else {
            let error = LoopbackSocketError(operation: "connect to port \(port)")
            close(descriptor)
            throw error
        }
        guard fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK) == 0 else {
            let error = LoopbackSocketError(operation: "fcntl O_NONBLOCK")
            close(descriptor)
            throw error
        }
        return descriptor
    }
}

/// The C library's `connect`, which the method of the same name hides.
private func systemConnect(_ descriptor: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> Int32 {
    connect(descriptor, address, length)
}
