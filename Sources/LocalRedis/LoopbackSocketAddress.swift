#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A loopback socket address (127.0.0.1 and a port, or a unix socket path) and the socket calls on it.
///
/// Written once for the port finder (``LoopbackPorts``, which binds) and the readiness probe
/// (``RedisPingProbe``, which connects), which need the same address structures and the same `close` on failure.
/// The BSD length fields (`sin_len`, `sun_len`) stay zero: Darwin's kernel sets them from the length argument.
enum LoopbackSocketAddress: Sendable {
    case tcp(port: Int)
    case unix(path: String)

    /// A new blocking stream socket of this address's family, or nil when the system refuses one.
    private func makeSocket() -> Int32? {
        let family: Int32
        switch self {
        case .tcp: family = AF_INET
        case .unix: family = AF_UNIX
        }
        #if canImport(Glibc)
        let descriptor = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let descriptor = socket(family, SOCK_STREAM, 0)
        #endif
        return descriptor >= 0 ? descriptor : nil
    }

    /// Calls `body` with the address as a `sockaddr` and its length (which `body` may change, as
    /// `getsockname` does); returns nil without calling it for a unix path too long for `sun_path`.
    ///
    /// `port` is read back from the structure afterwards, so a bind to port 0 learns the kernel's choice.
    private func withSocketAddress<Result>(
        _ body: (UnsafeMutablePointer<sockaddr>, inout socklen_t) -> Result
    ) -> (result: Result, port: Int)? {
        switch self {
        case .tcp(let port):
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = UInt16(port).bigEndian
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let result = Self.call(body, with: &address)
            return (result, Int(UInt16(bigEndian: address.sin_port)))
        case .unix(let path):
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            let pathBytes = Array(path.utf8)
            guard pathBytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return nil }
            withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: pathBytes) }
            return (Self.call(body, with: &address), 0)
        }
    }

    /// A socket bound (`bind`) or connected (`connect`) to this address, or nil after closing it again.
    ///
    /// `port` is the socket's own (`getsockname`): after a bind to `.tcp(port: 0)`, the port the kernel chose.
    func open(
        _ operation: (Int32, UnsafePointer<sockaddr>, socklen_t) -> Int32,
        configure: (Int32) -> Void = { _ in }
    ) -> (descriptor: Int32, port: Int)? {
        guard let descriptor = makeSocket() else { return nil }
        configure(descriptor)
        let outcome = withSocketAddress { address, length in
            operation(descriptor, UnsafePointer(address), length) == 0 && getsockname(descriptor, address, &length) == 0
        }
        guard let outcome, outcome.result else {
            close(descriptor)
            return nil
        }
        return (descriptor, outcome.port)
    }

    private static func call<Address, Result>(
        _ body: (UnsafeMutablePointer<sockaddr>, inout socklen_t) -> Result, with address: inout Address
    ) -> Result {
        var length = socklen_t(MemoryLayout<Address>.size)
        return withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, &length) }
        }
    }
}
