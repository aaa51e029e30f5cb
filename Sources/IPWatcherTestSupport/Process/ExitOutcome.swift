/// How a child process ended.
public struct ExitOutcome: Sendable, CustomStringConvertible {
    /// The exit status, or nil when a signal ended the process.
    public let status: Int32?
    /// The signal that ended the process, if one did.
    public let signal: Int32?

    public var description: String {
        if let status { return "exit status \(status)" }
        return "killed by signal \(signal ?? -1)"
    }
}
