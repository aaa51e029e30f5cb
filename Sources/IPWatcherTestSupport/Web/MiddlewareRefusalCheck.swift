import Detection
import IPWatcherWeb
import LocalRedis
import RESP
import RedisClient
import Testing

/// The refusal test every framework's middleware runs: a client banned for two minutes, a guard configured to
/// answer 429 with a JSON body, and the checks of the response it gets.
public enum MiddlewareRefusalCheck {
    /// The banned client, sent in `X-Forwarded-For` from the trusted 127.0.0.1.
    public static let bannedClient = "198.51.100.5"

    /// Bans ``bannedClient`` on `server` for 120 s, as the worker does (set member and ban expiry), and returns a
    /// configuration against `server` that trusts 127.0.0.1 and refuses with 429 and a JSON body.
    public static func prepare(_ server: LocalRedisServer) async throws -> WebTierConfiguration {
        try await withConnection(server.url) { redis in
            _ = try await redis.send("SADD", "blocklist", bannedClient).throwingServerError()
            _ = try await redis.send("ZADD", "ipwatcher:bans", WallClock().nowMilliseconds() + 120_000, bannedClient)
                .throwingServerError()
        }
        var configuration = try trustingLoopback(server)
        configuration.refusal.status = 429
        configuration.refusal.body = "{\"error\":\"slow down\"}"
        configuration.refusal.contentType = "application/json"
        return configuration
    }

    /// A configuration against `server` whose trusted proxy is 127.0.0.1, where the tests' requests come from.
    public static func trustingLoopback(_ server: LocalRedisServer) throws -> WebTierConfiguration {
        var configuration = WebTierConfiguration(endpoint: try RedisEndpoint(url: server.url))
        configuration.trustedProxies = [try #require(IPNetwork("127.0.0.1/32"))]
        return configuration
    }

    /// Requests `path` from the app on `port` as ``bannedClient`` and expects the configured refusal, with a
    /// `Retry-After` of the ban's two minutes, counted by `guardian`.
    public static func expectRefusal(
        port: Int, path: String, guardian: WebTierGuard, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let refused = try await HTTPTestClient.send(path, port: port, headers: [("X-Forwarded-For", bannedClient)])
        #expect(refused.status == 429 && refused.body == "{\"error\":\"slow down\"}", sourceLocation: sourceLocation)
        #expect(refused.headers["content-type"] == "application/json", sourceLocation: sourceLocation)
        let retryAfter = try #require(refused.headers["retry-after"].flatMap { Int($0) }, sourceLocation: sourceLocation)
        #expect((110...120).contains(retryAfter), "Retry-After \(retryAfter)", sourceLocation: sourceLocation)
        #expect(guardian.statistics.refused == 1, sourceLocation: sourceLocation)
    }
}
