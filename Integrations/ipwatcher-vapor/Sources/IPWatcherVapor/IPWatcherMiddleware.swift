import Detection
import IPWatcherWeb
import Vapor

/// Refuses blocked clients and records every other request for the worker, from an in-memory copy of the
/// blocklist: no Redis round trip per request, and no wait when Redis is away.
///
/// ```swift
/// let guardian = WebTierGuard(configuration: .init(endpoint: try RedisEndpoint(url: "redis://127.0.0.1:6379")))
/// app.middleware.use(IPWatcherMiddleware(guardian), at: .beginning)
/// try await app.execute(running: guardian)
/// ```
///
/// A refused request gets the configuration's ``IPWatcherWeb/WebTierConfiguration/Refusal`` (403 and a short text by
/// default) with `Retry-After` when the ban's end is known, and never reaches the routes. Routes of served
/// requests find the decision in `request.ipwatcher`. The client is the socket peer unless the peer is a trusted
/// proxy; Vapor's own `request.peerAddress` believes any peer's `X-Forwarded-For`, so do not count by it. A request
/// on a connection without an IP address (a unix socket) is served unchecked and unrecorded.
public struct IPWatcherMiddleware: AsyncMiddleware {
    /// The guard that decides.
    public let guardian: WebTierGuard

    /// Middleware deciding with `guardian`, which must be running (``Vapor/Application/execute(running:)``).
    public init(_ guardian: WebTierGuard) {
        self.guardian = guardian
    }

    /// Decides the request, and either refuses it or hands it on with the decision in `request.ipwatcher`.
    public func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard let peer = request.remoteAddress.flatMap(IPAddress.init) else { return try await next.respond(to: request) }
        let decision = guardian.decide(
            peer: peer, path: request.url.path, forwarded: request.headers[Self.forwarded],
            forwardedFor: request.headers[Self.xForwardedFor])
        guard decision.isRefused else {
            request.ipwatcher = decision
            return try await next.respond(to: request)
        }
        let refusal = guardian.configuration.refusal
        var headers = HTTPHeaders([("Content-Type", refusal.contentType)])
        if let seconds = guardian.retryAfterSeconds(for: decision) { headers.replaceOrAdd(name: "Retry-After", value: String(seconds)) }
        return Response(
            status: HTTPResponseStatus(statusCode: refusal.status), headers: headers, body: .init(string: refusal.body))
    }

    private static let forwarded = "Forwarded"
    private static let xForwardedFor = "X-Forwarded-For"
}
