#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a ``NotifySocketListener`` could not be set up or did not hear what was awaited.
public enum NotifySocketListenerError: Error, CustomStringConvertible {
    /// A libc call failed on the socket at `path`; `errno` is the error number it left.
    case system(call: String, path: String, errno: Int32)
    /// No message matching `waitingFor` arrived within `limit`; `received` is everything the socket heard.
    case timedOut(waitingFor: String, limit: Duration, received: [String])

    /// What failed, with `strerror`'s text or the messages heard, ready to print.
    public var description: String {
        switch self {
        case .system(let call, let path, let code):
            return "\(call) on the notify socket \(path) failed: \(String(cString: strerror(code)))"
        case .timedOut(let what, let limit, let received):
            return "no \(what) within \(limit); the notify socket received: \(received)"
        }
    }
}
