#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Picks loopback TCP ports that are free at the moment of asking.
///
/// The kernel chooses the port for a socket bound to port 0; the socket is closed again so redis-server can
/// bind it. Someone else may take the port in between, which is why the launcher retries on "Address already in use".
package enum LoopbackPorts {
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

    /// Offset of a Redis Cluster node's bus port from its client port, fixed by Redis unless `cluster-port` is set.
    static let clusterBusOffset = 10_000

    /// Returns `count` distinct free ports `p` for which `p + 10000`, the cluster bus port, is free as well.
    ///
    /// Each candidate comes from the kernel as in ``allocate(_:)``; its bus port is then bound explicitly, and a
    /// candidate whose bus port is out of range or taken is kept bound (so the kernel does not offer it again) and
    /// skipped. All sockets, client and bus ports alike, stay open until every port is known, so no two nodes share
    /// either port. Like ``allocate(_:)`` this only proves the ports free at the moment of asking.
    static func allocateWithClusterBus(_ count: Int) throws(LocalRedisError) -> [Int] {
        var descriptors: [Int32] = []
        defer {
            for descriptor in descriptors {
                close(descriptor)
            }
        }
        var ports: [Int] = []
        // With the usual ephemeral range 32768-60999 about four candidates in five qualify; 64 per port is plenty.
        let maximumCandidates = max(64, count * 64)
        var candidates = 0
        while ports.count < count {
            guard candidates < maximumCandidates else {
                throw .launchFailed(
                    "found only \(ports.count) of \(count) free loopback ports whose cluster bus port (port + \(clusterBusOffset)) is free too, after \(candidates) candidates"
                )
            }
            candidates += 1
            let (descriptor, port) = try bindEphemeral()
            descriptors.append(descriptor)
            guard port + clusterBusOffset <= Int(UInt16.max),
                  let busDescriptor = bindLoopback(port: port + clusterBusOffset)
            else { continue }
            descriptors.append(busDescriptor)
            ports.append(port)
        }
        return ports
    }

    /// Binds a loopback socket to exactly `port`, or returns nil when that fails (usually because the port is taken).
    private static func bindLoopback(port: Int) -> Int32? {
        #if canImport(Glibc)
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { return nil }
        var address = sockaddr_in()
        #if canImport(Darwin)
        address.sin_len = UInt8(MemoryLayout<sockaddr_in>.size)
        #endif
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard bound else {
            close(descriptor)
            return nil
        }
        return descriptor
    }

    /// A socket bound to a free loopback port (not listening), and the port; the caller closes it.
    package static func bindEphemeral() throws(LocalRedisError) -> (descriptor: Int32, port: Int) {
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
