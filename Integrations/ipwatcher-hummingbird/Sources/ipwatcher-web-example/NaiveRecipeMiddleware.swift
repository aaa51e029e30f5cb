import Detection
import HTTPTypes
import Hummingbird
import IPWatcherHummingbird
import IPWatcherWeb
import Logging
import RESP
import RedisClient

/// The per-request recipe the README gives other stacks: `LPUSH` the client onto the queue, then `SISMEMBER` its
/// unit in the blocklist, two round trips before the handler runs. The example's `--naive` baseline, to measure
/// the middleware against; it resolves the client as the middleware does, so both count the same addresses.
///
/// A failed command serves the request (fail open), as a careful app would, but only after the command's timeout.
struct NaiveRecipeMiddleware<Context: IPWatcherRequestContext>: RouterMiddleware {
    let client: RedisServerClient
    let configuration: WebTierConfiguration
    let resolver: ClientAddressResolver
    let clock = WallClock()
    let logger: Logger

    init(client: RedisServerClient, configuration: WebTierConfiguration, logger: Logger) {
        self.client = client
        self.configuration = configuration
        self.resolver = ClientAddressResolver(trustedProxies: configuration.trustedProxies)
        self.logger = logger
    }

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let peer = context.remoteAddress.flatMap(IPAddress.init), !configuration.isExcluded(path: request.uri.path)
        else { return try await next(request, context) }
        let address = resolver.clientAddress(
            peer: peer, forwarded: request.headers[values: HTTPField.Name("Forwarded")!],
            forwardedFor: request.headers[values: HTTPField.Name("X-Forwarded-For")!])
        let entry = "\(address) \(clock.nowMilliseconds())"
        let unit = DetectionUnit(
            address: address, ipv4Prefix: configuration.mirror.ipv4Prefix, ipv6Prefix: configuration.mirror.ipv6Prefix)
        do {
            _ = try await client.send(RESPCommand("LPUSH", configuration.recorder.queue.key(forEntry: "\(address)"), entry))
                .throwingServerError()
            let member = try await client.send(RESPCommand("SISMEMBER", configuration.mirror.blocklistKey, unit.name))
                .throwingServerError()
            if member.int == 1 {
                return Response(
                    status: HTTPResponse.Status(code: configuration.refusal.status),
                    headers: [.contentType: configuration.refusal.contentType],
                    body: ResponseBody(byteBuffer: ByteBuffer(string: configuration.refusal.body)))
            }
        } catch {
            logger.debug("naive recipe: Redis failed; serving", metadata: ["error": "\(error)"])
        }
        return try await next(request, context)
    }
}
