#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A loopback TCP socket owned by the test, to play a server that refuses or ignores clients.
///
/// `.refusing` is bound but not listening, so connecting to its port is refused; `.silent` listens but never
/// accepts or answers, so a connection completes (the kernel queues it) and then hears nothing. Either way the port
/// stays ours while the value lives, so no other process can take it.
public final class LoopbackSocket: Sendable {
    /// What the socket does with connections: refuse them, or take them and stay silent.
    public enum Behaviour: Sendable { case refusing, silent }

    /// The port the kernel chose.
    public let port: Int
    private let descriptor: Int32

    /// Binds a socket to a free loopback port and, for `.silent`, listens on it.
    public init(_ behaviour: Behaviour) throws(LoopbackSocketError) {
        #if canImport(Glibc) || canImport(Musl)
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { throw LoopbackSocketError(operation: "socket") }
        var address = sockaddr_in()
        #if canImport(Darwin)
        address.sin_len = UInt8(MemoryLayout<sockaddr_in>.size)
        #endif
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(descriptor, socketAddress, length) == 0 && getsockname(descriptor, socketAddress, &length) == 0
            }
        }
        guard bound, behaviour == .refusing || listen(descriptor, 16) == 0 else {
            let error = LoopbackSocketError(operation: "bind/listen")
            close(descriptor)
            throw error
        }
        self.descriptor = descriptor
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(descriptor) }
}
