/// When a feed stops.
public enum FeedLimit: Sendable, Hashable {
    /// After this many requests.
    case count(Int)
    /// After this long; with a rate that is `rate × duration` requests, without one as many as fit.
    case duration(Duration)
}
