import Detection

/// A unit's count in its window before and after a batch was added.
public struct WindowCount: Sendable, Hashable {
    /// The unit and how many of the batch's entries it had.
    public let group: UnitCount
    /// The count before the batch.
    public let before: Int
    /// The count after the batch.
    public let after: Int
}
