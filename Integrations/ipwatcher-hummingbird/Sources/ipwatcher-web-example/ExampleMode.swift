/// What stands in front of the example's handlers.
enum ExampleMode: String, Sendable {
    /// ``IPWatcherHummingbird/IPWatcherMiddleware``: the in-memory blocklist and the batching recorder.
    case middleware
    /// The README's recipe for other stacks: an `LPUSH` and a `SISMEMBER` per request, the baseline.
    case naive
    /// Nothing: the same app unprotected, the ceiling.
    case plain
}
