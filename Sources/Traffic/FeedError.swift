/// Why a feed could not run.
public enum FeedError: Error, Sendable, CustomStringConvertible {
    /// The configuration cannot work; the text says why (see ``FeedConfiguration/validate()``).
    case invalidConfiguration(String)

    /// The reason, for people.
    public var description: String {
        switch self {
        case .invalidConfiguration(let reason): "invalid feed: \(reason)"
        }
    }
}
