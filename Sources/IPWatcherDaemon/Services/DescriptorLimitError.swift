/// The open-file limit (`RLIMIT_NOFILE`) could not be read or raised.
///
/// Not fatal: the worker runs on at the limit it has, which a unit's `LimitNOFILE=` or `ulimit -n` can raise.
public struct DescriptorLimitError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What was attempted: `getrlimit`, `setrlimit to 65536`.
    public let operation: String
    /// The system's reason: `Operation not permitted`.
    public let reason: String

    /// Creates the error.
    public init(operation: String, reason: String) {
        self.operation = operation
        self.reason = reason
    }

    public var description: String { "cannot raise the open-file limit: \(operation): \(reason)" }
}
