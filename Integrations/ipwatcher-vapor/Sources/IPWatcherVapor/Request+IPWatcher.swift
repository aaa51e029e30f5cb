import IPWatcherWeb
import Vapor

extension Request {
    /// The ipwatcher middleware's decision for this request (the client's address, whether the mirror was stale);
    /// nil before the middleware ran, or for a connection without an IP address.
    public var ipwatcher: RequestDecision? {
        get { storage[RequestDecisionKey.self] }
        set { storage[RequestDecisionKey.self] = newValue }
    }
}

/// Where the decision lives in the request's storage.
private struct RequestDecisionKey: StorageKey {
    typealias Value = RequestDecision
}
