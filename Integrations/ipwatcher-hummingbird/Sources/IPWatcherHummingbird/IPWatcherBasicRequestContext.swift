import Hummingbird
import IPWatcherWeb
import NIOCore

/// Hummingbird's basic request context plus what the ipwatcher middleware needs: the remote address and the
/// decision.
public struct IPWatcherBasicRequestContext: IPWatcherRequestContext, RequestContext {
    /// Hummingbird's per-request storage.
    public var coreContext: CoreRequestContextStorage
    /// The connection's peer: your reverse proxy, or the client itself.
    public let remoteAddress: SocketAddress?
    /// The middleware's decision for this request.
    public var ipwatcher: RequestDecision?

    /// The context of a request on `source`'s connection.
    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
