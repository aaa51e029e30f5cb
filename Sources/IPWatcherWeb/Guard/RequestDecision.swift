import Detection

/// What the guard decided for one request: who the client is and whether to serve it.
///
/// Middleware stores it where handlers can read it (the request's context), so a handler can log the client's
/// address or treat a request differently while the mirror is stale.
public struct RequestDecision: Sendable, Hashable {
    /// The client the request was counted under: the socket peer, or the address the trusted proxies forwarded.
    public var client: IPAddress
    /// The ban the client is under, or nil when the request is served.
    public var ban: BlocklistMirror.BlockedUnit?
    /// Whether the path is excluded: the request was neither recorded nor checked.
    public var isExcluded: Bool
    /// Whether the mirror may have been behind Redis when it answered (Redis away, or not loaded yet).
    public var mirrorWasStale: Bool

    /// A decision; middleware gets them from ``WebTierGuard/decide(peer:path:forwarded:forwardedFor:)``.
    public init(client: IPAddress, ban: BlocklistMirror.BlockedUnit?, isExcluded: Bool, mirrorWasStale: Bool) {
        self.client = client
        self.ban = ban
        self.isExcluded = isExcluded
        self.mirrorWasStale = mirrorWasStale
    }

    /// Whether the request is to be refused.
    public var isRefused: Bool { ban != nil }

    /// The `Retry-After` value for a refusal: whole seconds until the ban ends, rounded up and at least 1; nil
    /// when the request is served or the ban has no known end.
    public func retryAfterSeconds(nowMilliseconds: Int64) -> Int? {
        guard let expiresAt = ban?.expiresAt else { return nil }
        let remaining = max(0, expiresAt - nowMilliseconds)
        return Int(max(1, (remaining + 999) / 1000))
    }
}
