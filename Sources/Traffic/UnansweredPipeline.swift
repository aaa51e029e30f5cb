/// `LPUSH` commands whose replies never came: the error, and the work itself, to send again.
struct UnansweredPipeline: Error {
    let work: FeedWork
    let entries: Int
    let error: any Error
    /// The cluster node the work went to (`host:port`), for the log; nil on a single server.
    let node: String?
}
