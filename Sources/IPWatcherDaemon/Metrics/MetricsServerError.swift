#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// The metrics endpoint could not listen on `metrics.listen`: the port is taken, the address is not one of
/// this machine's, or the name does not resolve.
///
/// Its description is one line naming the key and the address, for the daemon's exit message; retrying after
/// the port is freed may succeed, so the daemon exits with the ordinary failure status, not 78.
public struct MetricsServerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The address that was asked for.
    public let address: MetricsListenAddress
    /// Why binding failed, in the system's words: `Address already in use`.
    public let reason: String

    public var description: String {
        "metrics.listen: cannot listen on \(address): \(reason)"
    }
}

extension MetricsServerError {
    /// The error for a failure `error` of binding `address`, with the system's reason when there is one.
    init(address: MetricsListenAddress, underlying error: any Error) {
        if let error = error as? IOError {
            self.init(address: address, reason: String(cString: strerror(error.errnoCode)))
        } else {
            self.init(address: address, reason: String("\(error)".prefix { !$0.isNewline }))
        }
    }
}
