import NIOCore

/// Where the consumer gets batches from, and how it tells that one has been written.
protocol BatchSource: Sendable {
    /// The next batch; empty when the queue stayed empty for the block timeout.
    ///
    /// After a failure the caller retries with another call, which must neither lose nor duplicate the batch
    /// the failed call may have taken on the server.
    func pop() async throws -> PoppedBatch

    /// Releases a batch whose counts are written. Safe to repeat after a failure.
    func acknowledge(_ batch: PoppedBatch) async throws
}

/// The entries of one pop, and the receipt that releases them once their counts are written.
struct PoppedBatch: Sendable {
    /// The entries as slices of the reply.
    var entries: [ByteBuffer]
    /// Where the batch waits in the worker's processing hashes until acknowledged; nil for an at-most-once pop.
    var receipt: BatchReceipt?

    /// A pop that found the queue empty.
    static let empty = PoppedBatch(entries: [], receipt: nil)
}

/// Names a batch held in a processing hash: the queue shard it came from (whose processing hash holds it) and
/// its field name there.
struct BatchReceipt: Sendable, Hashable, CustomStringConvertible {
    /// Index of the queue shard, 0 for an unsharded queue.
    var shard: Int
    /// The field in that shard's processing hash.
    var name: String

    var description: String { shard == 0 ? name : "\(name) (shard \(shard))" }
}
