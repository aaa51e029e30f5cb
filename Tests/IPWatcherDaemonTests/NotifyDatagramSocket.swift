#if canImport(Glibc)
import Glibc
#endif

// Stands in for systemd's notify socket. This file declares no suite.

/// A bound, non-blocking AF_UNIX datagram socket that records every sd_notify message a child sends to it.
///
/// Its path goes to the child only, as `NOTIFY_SOCKET` in the child's environment. Every wait polls with short
/// sleeps up to a deadline, so a missing message fails the test instead of hanging it.
final class NotifyDatagramSocket {
    let path: String
    private let descriptor: Int32
    /// Every message received so far, in order.
    private(set) var received: [String] = []
    /// How many of ``received`` the waits have looked at.
    private var consumed = 0

    init(in scratch: ScratchDirectory) throws {
        path = scratch.path + "/notify.sock"
        let descriptor = socket(
            AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw WaitTimedOut(description: "socket: \(String(cString: strerror(errno)))") }
        self.descriptor = descriptor
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
            close(descriptor)
            throw WaitTimedOut(description: "cannot bind \(path): \(String(cString: strerror(errno)))")
        }
    }

    deinit {
        close(descriptor)
        unlink(path)
    }

    /// Reads whatever datagrams are queued, without waiting.
    private func drainQueued() throws {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count >= 0 {
                received.append(String(decoding: buffer[0..<count], as: UTF8.self))
                continue
            }
            if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return }
            throw WaitTimedOut(description: "recv on the notify socket: \(String(cString: strerror(errno)))")
        }
    }

    /// Whether `message` holds the line `assignment` (messages are newline-separated `KEY=value` lines).
    static func message(_ message: String, has assignment: String) -> Bool {
        message.split(separator: "\n").contains { $0 == assignment }
    }

    /// Waits for the next message (after those already waited for) holding the line `assignment`, such as
    /// `READY=1`, and returns it; throws, listing everything received, when none arrives within `limit`.
    @discardableResult
    func waitFor(_ assignment: String, within limit: Duration = .seconds(10)) async throws -> String {
        try await waitFor(assignment, within: limit) { Self.message($0, has: assignment) }
    }

    /// Waits for the next message (after those already waited for) that satisfies `matches`; `what` names it in
    /// the error thrown, listing everything received, when none arrives within `limit`.
    @discardableResult
    func waitFor(
        _ what: String, within limit: Duration = .seconds(10), where matches: (String) -> Bool
    ) async throws -> String {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: limit)
        while true {
            try drainQueued()
            while consumed < received.count {
                let message = received[consumed]
                consumed += 1
                if matches(message) { return message }
            }
            if clock.now >= deadline {
                throw WaitTimedOut(description: "no \(what) within \(limit); the notify socket received: \(received)")
            }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Collects messages for `duration` and returns the ones received in that time.
    func collect(for duration: Duration) async throws -> [String] {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: duration)
        let start = received.count
        while clock.now < deadline {
            try drainQueued()
            try await Task.sleep(for: .milliseconds(10))
        }
        try drainQueued()
        consumed = received.count
        return Array(received[start...])
    }
}
