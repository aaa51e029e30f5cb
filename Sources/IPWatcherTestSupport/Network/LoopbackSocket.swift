#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import LocalRedis

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
        let bound: (descriptor: Int32, port: Int)
        do {
            bound = try LoopbackPorts.bindEphemeral()
        } catch {
            throw LoopbackSocketError(operation: "socket/bind (\(error))")
        }
        guard behaviour == .refusing || listen(bound.descriptor, 16) == 0 else {
            let error = LoopbackSocketError(operation: "listen")
            close(bound.descriptor)
            throw error
        }
        self.descriptor = bound.descriptor
        self.port = bound.port
    }

    deinit { close(descriptor) }
}
