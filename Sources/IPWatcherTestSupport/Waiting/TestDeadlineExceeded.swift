/// Thrown by ``withTestDeadline(_:_:)`` (and the fixtures) when a test body does not finish before its deadline.
public struct TestDeadlineExceeded: Error, CustomStringConvertible {
    /// The time the body had.
    public let limit: Duration

    /// Creates the error for a body that ran out of `limit`.
    public init(limit: Duration) {
        self.limit = limit
    }

    /// Says the body was cancelled, which usually means something hung.
    public var description: String { "the test body did not finish within \(limit); it was cancelled (a hang?)" }
}
