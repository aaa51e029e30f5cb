import Foundation
import LocalRedis
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// What the local Redis Cluster suites probe processes and ports with. This file declares no suite.

/// The value of `name:value` in an `INFO` or `CLUSTER INFO` reply, or nil.
func infoField(_ name: String, in reply: String) -> String? {
    let prefix = name + ":"
    for line in reply.split(whereSeparator: \.isNewline) where line.hasPrefix(prefix) {
        return line.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces)
    }
    return nil
}

/// Whether a process with this pid exists (a zombie counts; LocalRedis reaps its children, so none should be one).
func processExists(_ pid: Int32) -> Bool {
    pid > 0 && (kill(pid, 0) == 0 || errno == EPERM)
}

/// Pids of processes whose command line mentions `text`; empty where there is no /proc.
///
/// LocalRedis starts redis-server with `set-proc-title no`, so its command line keeps the config path, which
/// contains the node's directory.
func processes(mentioning text: String) -> [Int32] {
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
    return entries.compactMap { entry -> Int32? in
        guard let pid = Int32(entry),
              let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline")
        else { return nil }
        let commandLine = String(decoding: data.map { $0 == 0 ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
        return commandLine.contains(text) ? pid : nil
    }
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
