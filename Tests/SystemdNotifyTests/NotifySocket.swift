#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Why a test socket could not be set up.
struct NotifySocketError: Error, CustomStringConvertible {
    /// The libc call that failed.
    let call: String
    /// `errno` after the failure.
    let code: Int32

    var description: String { "\(call) failed: errno \(code)" }
}

/// A bound AF_UNIX datagram socket in a fresh temp directory, standing in for systemd's notify socket.
///
/// Receives use SO_RCVTIMEO so a missing datagram fails the test instead of hanging it.
/// The directory lives under /tmp rather than $TMPDIR to stay well inside sun_path's 108 bytes.
final class NotifySocket {
    /// Filesystem path the socket is bound to; the value for NOTIFY_SOCKET.
    let path: String
    private let directory: String
    private let descriptor: Int32

    /// Creates and binds the socket; `timeout` bounds each ``receive()``.
    init(timeout: Duration = .seconds(2)) throws {
        var template = Array("/tmp/ipw-sdnotify-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else {
            throw NotifySocketError(call: "mkdtemp", code: errno)
        }
        directory = String(cString: created)
        path = directory + "/notify.sock"

        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            let code = errno
            rmdir(directory)
            throw NotifySocketError(call: "socket", code: code)
        }
        descriptor = fd

        do {
            try Self.bind(fd, to: path)
            try Self.setReceiveTimeout(fd, timeout)
        } catch {
            close(fd)
            unlink(path)
            rmdir(directory)
            throw error
        }
    }

    deinit {
        close(descriptor)
        unlink(path)
        rmdir(directory)
    }

    /// The next datagram as text, or nil when none arrived within the timeout.
    func receive() throws -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        if count < 0 {
            let code = errno
            if code == EAGAIN || code == EWOULDBLOCK { return nil }
            throw NotifySocketError(call: "recv", code: code)
        }
        return String(decoding: buffer[..<count], as: UTF8.self)
    }

    private static func bind(_ fd: Int32, to path: String) throws {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let fits = withUnsafeMutableBytes(of: &address.sun_path) { raw -> Bool in
            guard bytes.count < raw.count else { return false }
            raw.copyBytes(from: bytes)  // the rest is already zero, so the path is NUL-terminated
            return true
        }
        guard fits else { throw NotifySocketError(call: "bind (path too long)", code: ENAMETOOLONG) }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else { throw NotifySocketError(call: "bind", code: errno) }
    }

    private static func setReceiveTimeout(_ fd: Int32, _ timeout: Duration) throws {
        let (seconds, attoseconds) = timeout.components
        var value = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        let result = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
        guard result == 0 else { throw NotifySocketError(call: "setsockopt(SO_RCVTIMEO)", code: errno) }
    }
}
