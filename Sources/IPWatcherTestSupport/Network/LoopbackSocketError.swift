#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a loopback socket of the test's own could not be set up.
public struct LoopbackSocketError: Error, CustomStringConvertible {
    /// The libc calls that failed.
    public let operation: String
    /// `strerror(errno)` right after the failure.
    public let reason: String

    /// Creates the error for `operation`, reading `errno` now, before anything else can change it.
    public init(operation: String) {
        self.operation = operation
        self.reason = String(cString: strerror(errno))
    }

    /// Says which call failed and why.
    public var description: String { "cannot set up a loopback socket (\(operation)): \(reason)" }
}
