#if canImport(Glibc)
import Glibc
#endif

/// A bound, non-blocking unix datagram socket standing in for systemd's notify socket, so the benchmark hears
/// a worker subprocess's `READY=1` and `STATUS=` lines (`NOTIFY_SOCKET` in the child's environment).
///
/// Owned by one task; ``receive()`` never waits.
final class NotifySocket {
    /// The socket's path, for `NOTIFY_SOCKET`.
    let path: String
    private let descriptor: Int32

    /// Creates and binds the socket at `path` (which must fit `sun_path`, 107 bytes).
    init(path: String) throws {
        self.path = path
        let descriptor = socket(
            AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw WorkerBenchError.system("socket", errno: errno) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let fits = withUnsafeMutableBytes(of: &address.sun_path) { raw -> Bool in
            guard bytes.count < raw.count else { return false }
            raw.copyBytes(from: bytes)
            return true
        }
        let bound =
            fits
            && withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0
                }
            }
        guard bound else {
            let error = fits ? errno : ENAMETOOLONG
            close(descriptor)
            throw WorkerBenchError.system("bind \(path)", errno: error)
        }
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
        unlink(path)
    }

    /// The messages queued since the last call, oldest first; each is newline-separated `KEY=value` lines.
    func receive() throws -> [String] {
        var messages: [String] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count >= 0 {
                messages.append(String(decoding: buffer[0..<count], as: UTF8.self))
                continue
            }
            if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return messages }
            throw WorkerBenchError.system("recv on the notify socket", errno: errno)
        }
    }
}
