import Foundation
import LocalRedis
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// What the local Redis Cluster suites probe ports with. This file declares no suite.

/// The value of `name:value` in an `INFO` or `CLUSTER INFO` reply, or nil.
func infoField(_ name: String, in reply: String) -> String? {
    let prefix = name + ":"
    for line in reply.split(whereSeparator: \.isNewline) where line.hasPrefix(prefix) {
        return line.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces)
    }
    return nil
}

/// Whether something accepts TCP connections on 127.0.0.1:`port` right now.
func loopbackPortAcceptsConnections(_ port: Int) -> Bool {
    #if canImport(Glibc)
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #else
    let descriptor = socket(AF_INET, SOCK_STREAM, 0)
    #endif
    guard descriptor >= 0 else { return false }
    defer { close(descriptor) }
    var address = sockaddr_in()
    #if canImport(Darwin)
    address.sin_len = UInt8(MemoryLayout<sockaddr_in>.size)
    #endif
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    return withUnsafePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
        }
    }
}
