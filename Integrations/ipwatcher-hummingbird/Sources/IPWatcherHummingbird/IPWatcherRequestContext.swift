import Hummingbird
import IPWatcherWeb

/// A request context the ipwatcher middleware can use: it knows the connection's remote address, and keeps the
/// middleware's decision for the handlers after it.
///
/// Use ``IPWatcherBasicRequestContext``, or add the two properties to your own context.
public protocol IPWatcherRequestContext: RemoteAddressRequestContext {
    /// The middleware's decision for this request (the client's address, whether the mirror was stale); nil before
    /// the middleware ran, or for a connection without an IP address (a unix socket).
    var ipwatcher: RequestDecision? { get set }
}
