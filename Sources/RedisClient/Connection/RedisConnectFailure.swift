import NIOCore
import NIOPosix
import NIOSSL

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a connection to Redis could not be made, in the words an operator would use: `connection refused`,
/// `no such host`, `timed out`, `TLS: certificate not trusted`.
///
/// NIO reports a failed connect as nested values (`NIOConnectionError` holding a `SingleConnectionFailure` per
/// address holding an `IOError` with an errno) whose descriptions name types, not causes; this is the one place
/// that turns them into a cause. Two failures with the same cause compare equal, which is what the reconnect
/// logs use to tell a new problem from the same one again.
public enum RedisConnectFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// Nothing listens on the port (or a firewall rejects the connection).
    case refused
    /// The host name does not resolve.
    case noSuchHost(String)
    /// No answer within the connect timeout.
    case timedOut
    /// No route to the host or its network.
    case unreachable
    /// The server (or something between) reset the connection.
    case reset
    /// The Unix socket file does not exist.
    case noSuchSocket
    /// The Unix socket file exists but may not be opened by this user.
    case permissionDenied
    /// The TLS handshake failed; the text says why (a refused certificate says which settings to check).
    case tls(String)
    /// The connection closed before the handshake completed, without an error saying why.
    case closedDuringHandshake
    /// Anything else, in the words of the error itself.
    case other(String)

    /// The cause of `error`, an error a connect attempt raised (a ``RedisError/connectFailed(endpoint:cause:)``
    /// gives its cause).
    public init(_ error: any Error) {
        switch error {
        case RedisError.connectFailed(_, let cause):
            self = cause
        case let error as NIOConnectionError:
            if let dns = error.dnsAError ?? error.dnsAAAAError {
                self = (dns is SocketAddressError.UnknownHost) ? .noSuchHost(error.host) : .other("\(dns)")
            } else if let first = error.connectionErrors.first {
                self = RedisConnectFailure(first.error)
            } else {
                self = .noSuchHost(error.host)
            }
        case let error as SocketAddressError.UnknownHost:
            self = .noSuchHost(error.host)
        case let error as IOError:
            self = RedisConnectFailure(errno: error.errnoCode)
        case ChannelError.connectTimeout:
            self = .timedOut
        case ChannelError.eof, ChannelError.ioOnClosedChannel, ChannelError.alreadyClosed:
            self = .closedDuringHandshake
        case is NIOSSLError, is NIOSSLExtraError, is BoringSSLError:
            self = .tls(ChannelErrorDescription.describe(error))
        default:
            self = .other("\(error)")
        }
    }

    /// The cause for an `errno` set by `connect(2)`.
    init(errno code: CInt) {
        switch code {
        case ECONNREFUSED: self = .refused
        case ETIMEDOUT: self = .timedOut
        case ENETUNREACH, EHOSTUNREACH: self = .unreachable
        case ECONNRESET, EPIPE: self = .reset
        case ENOENT: self = .noSuchSocket
        case EACCES, EPERM: self = .permissionDenied
        default: self = .other(String(cString: strerror(code)).lowercased())
        }
    }

    /// The short cause of any error a connect attempt raised: this type's description when NIO or the connect
    /// raised it, otherwise the error's own description (a handshake timeout, a server error such as `LOADING`).
    public static func cause(of error: any Error) -> String {
        switch error {
        case RedisError.connectFailed(_, let cause): return cause.description
        case is NIOConnectionError, is IOError, is ChannelError, is SocketAddressError.UnknownHost, is NIOSSLError:
            return RedisConnectFailure(error).description
        default: return "\(error)"
        }
    }

    public var description: String {
        switch self {
        case .refused: return "connection refused"
        case .noSuchHost(let host): return "no such host \(host)"
        case .timedOut: return "timed out"
        case .unreachable: return "host unreachable"
        case .reset: return "connection reset"
        case .noSuchSocket: return "no such socket file"
        case .permissionDenied: return "permission denied"
        case .tls(let reason): return "TLS: \(reason)"
        case .closedDuringHandshake: return "the connection closed during the handshake"
        case .other(let text): return text
        }
    }
}
