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
        try allocate(count, withClusterBus: false)
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
        try allocate(count, withClusterBus: true)
    }

    private static func allocate(_ count: Int, withClusterBus: Bool) throws(LocalRedisError) -> [Int] {
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
            if withClusterBus {
                guard port + clusterBusOffset <= Int(UInt16.max),
                      let bus = LoopbackSocketAddress.tcp(port: port + clusterBusOffset).open(bind)
                else { continue }
                descriptors.append(bus.descriptor)
            }
            ports.append(port)
        }
        return ports
    }

    /// A socket bound to a free loopback port (not listening), and the port; the caller closes it.
    package static func bindEphemeral() throws(LocalRedisError) -> (descriptor: Int32, port: Int) {
        guard let bound = LoopbackSocketAddress.tcp(port: 0).open(bind) else {
            throw .launchFailed("cannot bind a loopback socket to find a free port: \(String(cString: strerror(errno)))")
        }
        return bound
    }
}
