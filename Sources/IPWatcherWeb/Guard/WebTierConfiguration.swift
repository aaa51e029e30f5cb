import Detection
import RedisClient

/// Everything the web tier's guard needs: where Redis is, which proxies to trust, the worker's keys and prefixes,
/// and how to refuse a blocked client.
///
/// The defaults are the worker's defaults, so an app next to a worker that runs on defaults needs only the Redis
/// endpoint. An app next to a configured worker should read the worker's YAML file instead
/// (`WebTierConfiguration.load(workerConfigurationFile:)` in the `IPWatcherWebConfiguration` product), so the
/// queue, the blocklist key and the unit prefixes cannot drift apart.
public struct WebTierConfiguration: Sendable {
    /// How a blocked client is answered.
    public struct Refusal: Sendable, Hashable {
        /// The HTTP status code; 403 by default (429 suits clients that honour `Retry-After`).
        public var status = 403
        /// The response body.
        public var body = "Forbidden\n"
        /// The body's `Content-Type`.
        public var contentType = "text/plain; charset=utf-8"

        /// A 403 with a one-word text body.
        public init() {}
    }

    /// The Redis server that holds the queue and the blocklist (one server; see ``BlocklistMirror``).
    public var endpoint: RedisEndpoint
    /// The networks of your load balancers and reverse proxies (see ``ClientAddressResolver``).
    public var trustedProxies: [IPNetwork] = []
    /// The blocklist mirror's keys, prefixes and reload interval.
    public var mirror = BlocklistMirror.Settings()
    /// The recorder's queue, batch size, flush interval and capacity.
    public var recorder = AddressRecorder.Settings()
    /// Paths that are neither recorded nor checked, such as health checks: an entry matches that path exactly, or
    /// every path that starts with it when it ends in `*` (`/internal/*`).
    public var excludedPaths: [String] = []
    /// Whether a refused request is also recorded. Off by default: a refused bot costs the web tier a dictionary
    /// lookup, and recording it would cost the queue and the worker as much as serving it did.
    public var recordsRefusedRequests = false
    /// How a blocked client is answered.
    public var refusal = Refusal()

    /// The worker's defaults, against `endpoint`.
    public init(endpoint: RedisEndpoint) {
        self.endpoint = endpoint
    }

    /// Whether requests for `path` (without its query) are neither recorded nor checked.
    public func isExcluded(path: some StringProtocol) -> Bool {
        excludedPaths.contains { pattern in
            if pattern.hasSuffix("*") { return path.hasPrefix(pattern.dropLast()) }
            return path == pattern
        }
    }
}
