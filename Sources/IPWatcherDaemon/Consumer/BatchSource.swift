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
