/// Thrown when something a test waits for does not happen in time (``waitUntil(_:within:every:_:)``), or a
/// test's own plumbing (a scratch directory, a socket) fails; the description says which.
public struct WaitTimedOut: Error, CustomStringConvertible {
    /// What was awaited and for how long, or what failed.
    public let description: String

    /// Creates the error with its explanation.
    public init(description: String) {
        self.description = description
    }
}
