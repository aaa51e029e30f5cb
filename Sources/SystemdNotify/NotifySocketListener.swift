#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The receiving end of `NOTIFY_SOCKET`, for benchmarks and tests: a bound, non-blocking unix datagram socket that
/// plays systemd's part and records every message a process sends to it.
///
/// Give ``path`` to the child process as `NOTIFY_SOCKET` in its environment. Each message is newline-separated
/// `KEY=value` lines (``message(_:has:)`` looks for one). Reading never blocks: ``receive()`` takes what is
/// queued, and the waits poll with short sleeps up to a deadline, so a missing message fails instead of hanging.
/// Owned by one task (not `Sendable`).
public final class NotifySocketListener {
    /// The socket's path, the value for `NOTIFY_SOCKET`.
    public let path: String
    /// Every message received so far, oldest first.
    public private(set) var received: [String] = []
    /// How many of ``received`` the waits have looked at.
    private var consumed = 0
    private let descriptor: Int32
    /// The directory ``init()`` created for the socket, removed with it.
    private let ownedDirectory: String?

    /// Creates and binds the socket at `path`, which must fit `sun_path` (107 bytes) and not exist yet.
    public init(path: String) throws(NotifySocketListenerError) {
        self.path = path
        self.ownedDirectory = nil
        self.descriptor = try Self.boundSocket(at: path)
    }

    /// Creates and binds the socket in a fresh private directory under /tmp (short enough for `sun_path` wherever
    /// `TMPDIR` points), which is removed with the socket.
    public init() throws(NotifySocketListenerError) {
        var template = Array("/tmp/ipwatcher-notify-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else {
            throw .system(call: "mkdtemp", path: "/tmp/ipwatcher-notify-XXXXXX", errno: errno)
        }
        let directory = String(cString: created)
        self.ownedDirectory = directory
        self.path = directory + "/notify.sock"
        do {
            self.descriptor = try Self.boundSocket(at: path)
        } catch {
            rmdir(directory)
            throw error
        }
    }

    deinit {
        close(descriptor)
        unlink(path)
        if let ownedDirectory { rmdir(ownedDirectory) }
    }

    /// Reads the messages queued since the last read, without waiting; returns them, oldest first, and keeps them
    /// in ``received``.
    @discardableResult
    public func receive() throws(NotifySocketListenerError) -> [String] {
        var messages: [String] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count >= 0 {
                messages.append(String(decoding: buffer[0..<count], as: UTF8.self))
                continue
            }
            if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { break }
            throw .system(call: "recv", path: path, errno: errno)
        }
        received += messages
        return messages
    }

    /// Whether `message` holds the line `assignment`, such as `READY=1`.
    public static func message(_ message: String, has assignment: String) -> Bool {
        message.split(separator: "\n").contains { $0 == assignment }
    }

    /// Waits for the next message (after those already waited for) holding the line `assignment`, such as
    /// `READY=1`, and returns it; throws ``NotifySocketListenerError/timedOut(waitingFor:limit:received:)`` when
    /// none arrives within `limit`.
    @discardableResult
    public func waitFor(_ assignment: String, within limit: Duration = .seconds(10)) async throws -> String {
        try await waitFor(assignment, within: limit) { Self.message($0, has: assignment) }
    }

    /// Waits for the next message (after those already waited for) that satisfies `matches`; `what` names it in
    /// the error thrown, which lists everything received, when none arrives within `limit`.
    @discardableResult
    public func waitFor(
        _ what: String, within limit: Duration = .seconds(10), where matches: (String) -> Bool
    ) async throws -> String {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: limit)
        while true {
            try receive()
            while consumed < received.count {
                let message = received[consumed]
                consumed += 1
                if matches(message) { return message }
            }
            if clock.now >= deadline {
                throw NotifySocketListenerError.timedOut(waitingFor: what, limit: limit, received: received)
            }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Collects messages for `duration` and returns the ones received in that time; the waits skip them.
    public func collect(for duration: Duration) async throws -> [String] {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: duration)
        let start = received.count
        while clock.now < deadline {
            try receive()
            try await Task.sleep(for: .milliseconds(10))
        }
        try receive()
        consumed = received.count
        return Array(received[start...])
    }

    /// A non-blocking datagram socket bound to `path`.
    private static func boundSocket(at path: String) throws(NotifySocketListenerError) -> Int32 {
        #if canImport(Darwin)
        let descriptor = socket(AF_UNIX, SOCK_DGRAM, 0)
        #else
        let descriptor = socket(
            AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #endif
        guard descriptor >= 0 else { throw .system(call: "socket", path: path, errno: errno) }
        #if canImport(Darwin)
        _ = fcntl(descriptor, F_SETFL, O_NONBLOCK)
        #endif
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let fits = withUnsafeMutableBytes(of: &address.sun_path) { raw -> Bool in
            guard bytes.count < raw.count else { return false }
            raw.copyBytes(from: bytes)  // the rest is already zero, so the path is NUL-terminated
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
            let code = fits ? errno : ENAMETOOLONG
            close(descriptor)
            throw .system(call: "bind", path: path, errno: code)
        }
        return descriptor
    }
}
