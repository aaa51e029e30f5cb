import RedisClient

extension IPWatcherConfiguration {
    /// The Redis endpoint to connect to: ``Redis-swift.struct/url`` parsed, its password replaced by
    /// ``Redis-swift.struct/password`` when that is set, and the `redis.tls` section merged into its TLS options.
    ///
    /// Throws for a URL that does not parse, for TLS settings with a URL that is not `rediss://` (so a typo in the
    /// scheme cannot quietly turn TLS off), and for a client certificate without its key or the reverse. Always
    /// succeeds for a loaded configuration, which was checked the same way.
    public var endpoint: RedisEndpoint {
        get throws(ConfigurationError) {
            try parsedEndpoints()[0]
        }
    }

    /// Whether the worker talks to a Redis Cluster: `redis.cluster: true` or a `redis+cluster://` URL.
    public var usesCluster: Bool {
        redis.cluster || Self.isClusterURL(redis.url)
    }

    /// The seed nodes of the Redis Cluster, each parsed and merged like ``endpoint``; nil for a single server.
    public var clusterSeeds: [RedisEndpoint]? {
        get throws(ConfigurationError) {
            usesCluster ? try parsedEndpoints() : nil
        }
    }

    /// Whether `url` has a `redis+cluster://` or `rediss+cluster://` scheme.
    static func isClusterURL(_ url: String) -> Bool {
        let lowered = url.lowercased()
        return lowered.hasPrefix("redis+cluster://") || lowered.hasPrefix("rediss+cluster://")
    }

    /// Every endpoint ``Redis-swift.struct/url`` names (one, or a cluster URL's seeds), each with the password and
    /// the `redis.tls` section merged in.
    private func parsedEndpoints() throws(ConfigurationError) -> [RedisEndpoint] {
        var endpoints: [RedisEndpoint]
        do throws(RedisError) {
            endpoints = Self.isClusterURL(redis.url)
                ? try RedisEndpoint.clusterSeeds(url: redis.url) : [try RedisEndpoint(url: redis.url)]
        } catch {
            let reason: String
            if case .invalidEndpoint(_, let detail) = error { reason = detail } else { reason = error.description }
            throw ConfigurationError.invalid(
                "redis.url", Self.redactedURL(redis.url), "is not a valid Redis URL: \(reason)")
        }
        if usesCluster, endpoints.contains(where: { if case .unix = $0.address { true } else { false } }) {
            throw ConfigurationError.invalid(
                "redis.url", Self.redactedURL(redis.url), "is a unix socket, but a Redis Cluster is reached over TCP")
        }
        if usesCluster, endpoints.contains(where: { if case .sentinel = $0.address { true } else { false } }) {
            throw ConfigurationError.invalid(
                "redis.cluster", "true", "cannot go with a redis+sentinel:// URL: Sentinel watches one master, not a Redis Cluster")
        }
        for index in endpoints.indices { endpoints[index] = try merged(endpoints[index]) }
        return endpoints
    }

    /// `endpoint` with ``Redis-swift.struct/password`` and the `redis.tls` section merged in.
    private func merged(_ parsed: RedisEndpoint) throws(ConfigurationError) -> RedisEndpoint {
        var endpoint = parsed
        if let password = redis.password { endpoint.password = password.value }
        let settings = redis.tls
        if let first = settings.settingsMade.first {
            guard var tls = endpoint.tls else {
                throw ConfigurationError.invalid(
                    first.key, first.value, "is set, but redis.url is not a rediss:// (TLS) URL")
            }
            if let caFile = settings.caFile { tls.caFile = caFile }
            if let certFile = settings.certFile { tls.certificateFile = certFile }
            if let keyFile = settings.keyFile { tls.keyFile = keyFile }
            if let serverName = settings.serverName { tls.serverName = serverName }
            if settings.verify != .full { tls.verification = settings.verify }
            // The URL parser checks its own cert= and key=; a mix of URL and section can still split them.
            if let certificateFile = tls.certificateFile, tls.keyFile == nil {
                throw ConfigurationError.invalid(
                    "redis.tls.cert_file", certificateFile, "needs redis.tls.key_file (or key= in redis.url)")
            }
            if let keyFile = tls.keyFile, tls.certificateFile == nil {
                throw ConfigurationError.invalid(
                    "redis.tls.key_file", keyFile, "needs redis.tls.cert_file (or cert= in redis.url)")
            }
            endpoint.tls = tls
        }
        return endpoint
    }

    /// Where the password used to log in comes from: `"environment"` (`IPWATCHER_REDIS_PASSWORD`),
    /// `"password_file"`, `"url"`, or nil when there is none; for messages, so it never holds the secret.
    public var passwordSource: String? {
        if let password = redis.password { return password.source.rawValue }
        if let endpoint = try? RedisEndpoint(url: redis.url), endpoint.password != nil { return "url" }
        return nil
    }

    /// `url` with every password in it replaced by `***` (``RedisEndpoint/redactedURL(_:)``).
    public static func redactedURL(_ url: String) -> String {
        RedisEndpoint.redactedURL(url)
    }
}
