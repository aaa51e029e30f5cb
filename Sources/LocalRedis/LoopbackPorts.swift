#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Picks loopback TCP ports that are free at the moment of asking.
///
/// The kernel chooses the port for a socket bound to port 0; the socket is closed again so redis-server can
/// bind it. Someone else may take the port in between, which is why the launcher retries on "Address already in use".
enum LoopbackPorts {
    /// Returns `count` distinct free ports; all sockets stay open until every port is known so none repeats.
    static func allocate(_ count: Int) throws(LocalRedisError) -> [Int] {
        var descriptors: [Int32] = []
        defer {
            for descriptor in descriptors {
                close(descriptor)
            }
        }
        var ports: [Int] = []
        for _ in 0..<count {
            let (descriptor, port) = try bindEphemeral()
            descriptors.append(descriptor)
            ports.append(port)
        }
        return ports
    }

    private static func bindEphemeral() throws(LocalRedisError) -> (Int32, Int) {
        #if canImport(Glibc)
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else {
            throw .launchFailed("cannot create a socket to find a free port: \(String(cString: strerror(errno)))")
        }
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
        guard bound else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw .launchFailed("cannot bind a loopback socket to find a free port: \(reason)")
        }
        return (descriptor, Int(UInt16(bigEndian: address.sin_port)))
    }
}
