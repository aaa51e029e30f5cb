import Detection
import HTTPTypes
import Hummingbird
import IPWatcherWeb

/// Refuses blocked clients and records every other request for the worker, from an in-memory copy of the
/// blocklist: no Redis round trip per request, and no wait when Redis is away.
///
/// Add it to the router, and the ``IPWatcherWeb/WebTierGuard`` it uses to the application's services, which runs the
/// guard's connection, flushes and metrics:
///
/// ```swift
/// let guardian = WebTierGuard(configuration: .init(endpoint: try RedisEndpoint(url: "redis://127.0.0.1:6379")))
/// let router = Router(context: IPWatcherBasicRequestContext.self)
/// router.add(middleware: IPWatcherMiddleware(guardian))
/// let app = Application(router: router, services: [guardian])
/// ```
///
/// A refused request gets the configuration's ``IPWatcherWeb/WebTierConfiguration/Refusal`` (403 and a short text by
/// default) with `Retry-After` when the ban's end is known, and never reaches the handlers. Handlers of served
/// requests find the decision in ``IPWatcherRequestContext/ipwatcher``. A request on a connection without an IP
/// address (a unix socket) is served unchecked and unrecorded: put the middleware behind a TCP listener.
public struct IPWatcherMiddleware<Context: IPWatcherRequestContext>: RouterMiddleware {
    /// The guard that decides.
    public let guardian: WebTierGuard

    /// Middleware deciding with `guardian`, which must run among the application's services.
    public init(_ guardian: WebTierGuard) {
        self.guardian = guardian
    }

    /// Decides the request, and either refuses it or hands it on with the decision in its context.
    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let peer = context.remoteAddress.flatMap(IPAddress.init) else { return try await next(request, context) }
        let decision = guardian.decide(
            peer: peer, path: request.uri.path, forwarded: request.headers[values: .forwarded],
            forwardedFor: request.headers[values: .xForwardedFor])
        guard decision.isRefused else {
            var context = context
            context.ipwatcher = decision
            return try await next(request, context)
        }
        let refusal = guardian.configuration.refusal
        var headers: HTTPFields = [.contentType: refusal.contentType]
        if let seconds = guardian.retryAfterSeconds(for: decision) { headers[.retryAfter] = String(seconds) }
        return Response(
            status: HTTPResponse.Status(code: refusal.status), headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(string: refusal.body)))
    }
}

extension HTTPField.Name {
    /// RFC 7239's standard forwarding header.
    static let forwarded = Self("Forwarded")!
    /// The de-facto forwarding header most proxies write.
    static let xForwardedFor = Self("X-Forwarded-For")!
}
