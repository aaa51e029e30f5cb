import NIOCore

/// The entries of one pop, and the receipt that releases them once their counts are written.
struct PoppedBatch: Sendable {
    /// The entries as slices of the reply.
    var entries: [ByteBuffer]
    /// The batch's name in the worker's processing hash, which holds its entries until acknowledged; nil for an
    /// at-most-once pop.
    var receipt: String?

    /// A pop that found the queue empty.
    static let empty = PoppedBatch(entries: [], receipt: nil)
}
