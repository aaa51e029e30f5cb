extension RedisEndpoint {
    /// Parses a `redis+cluster://` or `rediss+cluster://` URL into the seed endpoints of a
    /// ``RedisClusterClient``, one per host.
    ///
    /// The form is `redis+cluster://[user[:password]@]host[:port],host[:port][,…][?options]`: the hosts share the
    /// user, password and options, which are those of ``init(url:)`` (`rediss+cluster://` takes the TLS options
    /// `ca`, `cert`, `key`, `sni` and `verify`). A host without a port gets ``defaultPort``; IPv6 hosts go in
    /// brackets. A database other than 0 is refused, since Redis Cluster has only database 0, and so are empty
    /// host entries and other schemes. Errors show the URL without its password.
    public static func clusterSeeds(url: String) throws(RedisError) -> [RedisEndpoint] {
        let redacted = RedisEndpointURLParser(url: url).redacted
        func failure(_ reason: String) -> RedisError { .invalidEndpoint(url: redacted, reason: reason) }

        guard let schemeEnd = url.firstRange(of: "://") else {
            throw failure("expected redis+cluster://host:port,host:port or rediss+cluster://…")
        }
        let baseScheme: String
        switch url[..<schemeEnd.lowerBound].lowercased() {
        case "redis+cluster": baseScheme = "redis"
        case "rediss+cluster": baseScheme = "rediss"
        default:
            throw failure(
                "unknown scheme \"\(url[..<schemeEnd.lowerBound])\"; use redis+cluster or rediss+cluster")
        }
        let rest = url[schemeEnd.upperBound...]
        // The user-info part runs to the last "@", as in init(url:); the host list runs from there to the first
        // "/" or "?".
        let hostsStart = rest.lastIndex(of: "@").map { rest.index(after: $0) } ?? rest.startIndex
        let hostsEnd = rest[hostsStart...].firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let userInfo = rest[rest.startIndex..<hostsStart]
        let suffix = rest[hostsEnd...]
        let hosts = rest[hostsStart..<hostsEnd].split(separator: ",", omittingEmptySubsequences: false)
        guard !(hosts.count == 1 && hosts[0].isEmpty) else { throw failure("no hosts are given") }

        var seeds: [RedisEndpoint] = []
        for (number, host) in hosts.enumerated() {
            guard !host.isEmpty else { throw failure("host \(number + 1) of the list is empty") }
            let seed: RedisEndpoint
            do {
                seed = try RedisEndpoint(url: "\(baseScheme)://\(userInfo)\(host)\(suffix)")
            } catch {
                if case .invalidEndpoint(_, let reason) = error {
                    throw failure(hosts.count > 1 ? "host \(number + 1) (\(host)): \(reason)" : reason)
                }
                throw error
            }
            guard seed.database == 0 else {
                throw failure("Redis Cluster has only database 0, not \(seed.database)")
            }
            seeds.append(seed)
        }
        return seeds
    }
}
