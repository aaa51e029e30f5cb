extension RedisEndpoint {
    /// The port Redis listens on unless told otherwise.
    public static let defaultPort = 6379

    /// Parses a `redis://`, `rediss://`, `unix://`, `redis+sentinel://` or `rediss+sentinel://` URL.
    ///
    /// Errors name the part of the URL that is wrong and never repeat the password.
    public init(url: String) throws(RedisError) {
        var parser = RedisEndpointURLParser(url: url)
        self = try parser.parse()
    }

    /// `url` as it may be shown to a user: any password, in the user-info part or as a `password=` option
    /// (`unix://` URLs take one), replaced by `***`.
    ///
    /// Deliberately errs towards hiding too much: the user info runs to the last `@` anywhere, so a password
    /// holding an unencoded `/`, `?` or `@`, which the parser rejects, is still hidden in the error that says so.
    public static func redactedURL(_ url: String) -> String {
        guard let schemeEnd = url.firstRange(of: "://") else { return url }
        var rest = Substring(url[schemeEnd.upperBound...])
        var prefix = String(url[..<schemeEnd.upperBound])
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            if let colon = userInfo.firstIndex(of: ":") {
                prefix += userInfo[..<colon] + ":***"
            } else {
                prefix += userInfo
            }
            rest = rest[at...]
        }
        guard let question = rest.firstIndex(of: "?") else { return prefix + rest }
        let options = rest[rest.index(after: question)...].split(separator: "&", omittingEmptySubsequences: false).map {
            option -> String in
            if option.hasPrefix("password=") { return "password=***" }
            if option.hasPrefix("sentinel_password=") { return "sentinel_password=***" }
            return String(option)
        }
        return prefix + rest[...question] + options.joined(separator: "&")
    }
}

/// Hand-written URL parsing: Foundation's URL types differ across platforms on bracketed IPv6 hosts,
/// percent-decoding and `unix://` paths, and an endpoint must parse the same everywhere.
struct RedisEndpointURLParser {
    let url: String

    /// The URL as it may be shown to a user; see ``RedisEndpoint/redactedURL(_:)``.
    var redacted: String { RedisEndpoint.redactedURL(url) }

    func failure(_ reason: String) -> RedisError {
        .invalidEndpoint(url: redacted, reason: reason)
    }

    mutating func parse() throws(RedisError) -> RedisEndpoint {
        guard let schemeEnd = url.firstRange(of: "://") else {
            throw failure("expected redis://host:port, rediss://host:port, unix:///path or redis+sentinel://host:port/name")
        }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        var rest = Substring(url[schemeEnd.upperBound...])
        var query: [String: String] = [:]
        // Options start at the first "?" after the user-info part, which may itself hold a "?".
        let afterUserInfo = rest.lastIndex(of: "@").map { rest.index(after: $0) } ?? rest.startIndex
        if let questionMark = rest[afterUserInfo...].firstIndex(of: "?") {
            query = try parseQuery(rest[rest.index(after: questionMark)...])
            rest = rest[..<questionMark]
        }
        switch scheme {
        case "unix":
            return try parseUnix(rest, query: query)
        case "redis", "rediss":
            return try parseTCP(rest, query: query, tls: scheme == "rediss")
        case "redis+sentinel", "rediss+sentinel":
            return try parseSentinel(rest, query: query, tls: scheme == "rediss+sentinel")
        default:
            throw failure("unknown scheme \"\(scheme)\"; use redis, rediss, unix or redis+sentinel")
        }
    }

    func parseQuery(_ text: Substring) throws(RedisError) -> [String: String] {
        var result: [String: String] = [:]
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(parts[0])
            guard let value = percentDecoded(parts.count > 1 ? parts[1] : "") else {
                throw failure("option \(key) is not valid percent-encoding")
            }
            result[key] = value
        }
        return result
    }

    func parseUserInfo(_ text: Substring) throws(RedisError) -> (String?, String?) {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard let user = percentDecoded(parts[0]) else { throw failure("the user name is not valid percent-encoding") }
        var password: String?
        if parts.count > 1 {
            guard let decoded = percentDecoded(parts[1]) else {
                throw failure("the password is not valid percent-encoding")
            }
            password = decoded
        }
        return (user.isEmpty ? nil : user, password)
    }

    func parseDatabase(_ text: Substring, source: String) throws(RedisError) -> Int {
        guard let database = Int(text), database >= 0 else {
            throw failure("\(source) \"\(text)\" is not a database number (0, 1, …)")
        }
        return database
    }

    func parseUnix(_ rest: Substring, query: [String: String]) throws(RedisError) -> RedisEndpoint {
        var path = rest
        var username: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            (username, password) = try parseUserInfo(rest[..<at])
            path = rest[rest.index(after: at)...]
        }
        guard path.hasPrefix("/") else { throw failure("a unix socket path must be absolute: unix:///path/to.sock") }
        if let user = query["user"] { username = user }
        if let secret = query["password"] { password = secret }
        let database = try query["db"].map { (text) throws(RedisError) in try parseDatabase(Substring(text), source: "db") } ?? 0
        return RedisEndpoint(address: .unix(path: String(path)), username: username, password: password, database: database)
    }

    func parseTCP(_ rest: Substring, query: [String: String], tls: Bool) throws(RedisError) -> RedisEndpoint {
        var authority = rest
        var path: Substring = ""
        let afterUserInfo = rest.lastIndex(of: "@").map { rest.index(after: $0) } ?? rest.startIndex
        if let slash = rest[afterUserInfo...].firstIndex(of: "/") {
            authority = rest[..<slash]
            path = rest[rest.index(after: slash)...]
        }
        var username: String?
        var password: String?
        if let at = authority.lastIndex(of: "@") {
            (username, password) = try parseUserInfo(authority[..<at])
            authority = authority[authority.index(after: at)...]
        }
        let (host, port) = try parseHostAndPort(authority, defaultPort: RedisEndpoint.defaultPort)
        var database = 0
        if !path.isEmpty { database = try parseDatabase(path, source: "database path") }
        if let text = query["db"] { database = try parseDatabase(Substring(text), source: "db") }

        let tlsOptions = tls ? try parseTLSOptions(query) : nil
        return RedisEndpoint(
            address: .tcp(host: host, port: port), username: username, password: password,
            database: database, tls: tlsOptions)
    }

    /// The TLS options of a `rediss://` or `rediss+sentinel://` URL's query.
    func parseTLSOptions(_ query: [String: String]) throws(RedisError) -> RedisTLSOptions {
        var options = RedisTLSOptions(
            caFile: query["ca"], certificateFile: query["cert"], keyFile: query["key"], serverName: query["sni"])
        if let verify = query["verify"] {
            guard let mode = RedisTLSOptions.Verification(rawValue: verify) else {
                throw failure("verify must be full, no-hostname or none, not \"\(verify)\"")
            }
            options.verification = mode
        }
        guard (options.certificateFile == nil) == (options.keyFile == nil) else {
            throw failure("cert and key must be given together")
        }
        return options
    }

    /// `host`, `host:port`, `[v6]` or `[v6]:port`.
    func parseHostAndPort(_ authority: Substring, defaultPort: Int) throws(RedisError) -> (host: String, port: Int) {
        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw failure("IPv6 host is missing its closing ]") }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw failure("expected :port after the IPv6 host") }
                portText = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
            guard !host.contains(":") else { throw failure("put an IPv6 host in brackets: redis://[::1]:6379") }
        } else {
            host = authority
        }
        guard !host.isEmpty else { throw failure("the host is missing") }
        var port = defaultPort
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else {
                throw failure("port \"\(portText)\" is not a number from 1 to 65535")
            }
            port = value
        }
        return (String(host), port)
    }

    /// `[user[:password]@]host[:port],host[:port]…/<master name>` after `redis+sentinel://`; the sentinels' port
    /// defaults to 26379 and their login comes from the `sentinel_user` and `sentinel_password` options.
    func parseSentinel(_ rest: Substring, query: [String: String], tls: Bool) throws(RedisError) -> RedisEndpoint {
        var hostsAndName = rest
        var username: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            (username, password) = try parseUserInfo(rest[..<at])
            hostsAndName = rest[rest.index(after: at)...]
        }
        guard let slash = hostsAndName.firstIndex(of: "/") else {
            throw failure("the master name is missing: redis+sentinel://host:port,host:port/<master name>")
        }
        let nameText = hostsAndName[hostsAndName.index(after: slash)...]
        guard let name = percentDecoded(nameText), !name.isEmpty, !name.contains("/") else {
            throw failure("the master name after the hosts is missing or not valid: redis+sentinel://host:port/<master name>")
        }
        let hosts = hostsAndName[..<slash].split(separator: ",", omittingEmptySubsequences: false)
        guard !(hosts.count == 1 && hosts[0].isEmpty) else { throw failure("no sentinel hosts are given") }
        var sentinels: [RedisSentinelMaster.Sentinel] = []
        for (number, host) in hosts.enumerated() {
            guard !host.isEmpty else { throw failure("sentinel \(number + 1) of the list is empty") }
            do {
                let (address, port) = try parseHostAndPort(host, defaultPort: RedisSentinelMaster.defaultPort)
                sentinels.append(.init(host: address, port: port))
            } catch {
                if case .invalidEndpoint(_, let reason) = error, hosts.count > 1 {
                    throw failure("sentinel \(number + 1) (\(host)): \(reason)")
                }
                throw error
            }
        }
        let database = try query["db"].map { (text) throws(RedisError) in try parseDatabase(Substring(text), source: "db") } ?? 0
        let master = RedisSentinelMaster(
            name: name, sentinels: sentinels, username: query["sentinel_user"], password: query["sentinel_password"])
        return RedisEndpoint(
            address: .sentinel(master), username: username, password: password, database: database,
            tls: tls ? try parseTLSOptions(query) : nil)
    }

    func percentDecoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                return nil
            }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
