/// How waiting for the worker to empty the queue went.
public struct DrainResult: Sendable, Hashable, Codable {
    /// Whether the queue was empty and stayed so before the timeout.
    public var drained: Bool
    /// Entries left in the queue at the last look.
    public var remaining: Int
    /// How long the wait took.
    public var waitedSeconds: Double

}
