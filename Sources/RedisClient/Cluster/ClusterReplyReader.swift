import RESP

/// Reads the parts of a `CLUSTER SHARDS` or `CLUSTER SLOTS` reply, turning every surprise into a
/// ``RedisClusterTopologyError`` that says where in the reply it was and what was found.
///
/// Both RESP versions are accepted: a map is a RESP3 map or a RESP2 flat array of key-value pairs, an integer may
/// arrive as a string holding one, and RESP3 attributes in front of any value are skipped.
struct ClusterReplyReader {
    /// The command whose reply is read, for error messages.
    let source: String

    func failure(_ reason: String, serverError: RedisServerError? = nil) -> RedisClusterTopologyError {
        RedisClusterTopologyError(source: source, reason: reason, serverError: serverError)
    }

    /// The elements of the whole reply, which must be an array (possibly empty), not an error or anything else.
    func topLevel(_ reply: RESPToken) throws(RedisClusterTopologyError) -> RESPToken.Array {
        let reply = reply.withoutAttributes
        if let error = reply.serverError {
            throw failure("the server answered with an error: \(error.message)", serverError: error)
        }
        return try array(reply, "the reply")
    }

    /// The elements of an array (or set) value.
    func array(_ token: RESPToken, _ what: String) throws(RedisClusterTopologyError) -> RESPToken.Array {
        let token = token.withoutAttributes
        guard let elements = token.array else { throw failure("\(what) is \(Self.shown(token)), not an array") }
        return elements
    }

    /// The elements of an array value, as an array so they can be indexed.
    func list(_ token: RESPToken, _ what: String) throws(RedisClusterTopologyError) -> [RESPToken] {
        try array(token, what).map(\.withoutAttributes)
    }

    /// The key-value pairs of a RESP3 map or a RESP2 flat array of alternating keys and values; keys must be
    /// strings.
    func fields(_ token: RESPToken, _ what: String) throws(RedisClusterTopologyError)
        -> [(key: String, value: RESPToken)]
    {
        let token = token.withoutAttributes
        var pairs: [(key: RESPToken, value: RESPToken)] = []
        if let map = token.map {
            pairs = map.map { ($0.key.withoutAttributes, $0.value.withoutAttributes) }
        } else if let elements = token.array {
            guard elements.count % 2 == 0 else {
                throw failure("\(what) is an array of \(elements.count) elements, not of key-value pairs")
            }
            var iterator = elements.makeIterator()
            while let key = iterator.next(), let value = iterator.next() {
                pairs.append((key.withoutAttributes, value.withoutAttributes))
            }
        } else {
            throw failure("\(what) is \(Self.shown(token)), not a map")
        }
        var result: [(key: String, value: RESPToken)] = []
        result.reserveCapacity(pairs.count)
        for (key, value) in pairs {
            guard let name = key.string else { throw failure("\(what) has the key \(Self.shown(key)), not a string") }
            result.append((name, value))
        }
        return result
    }

    /// An integer, sent as an integer reply or as a string holding a decimal integer.
    func integer(_ token: RESPToken, _ what: String) throws(RedisClusterTopologyError) -> Int64 {
        guard let value = token.withoutAttributes.int else {
            throw failure("\(what) is \(Self.shown(token)), not an integer")
        }
        return value
    }

    /// A slot number, 0...16383.
    func slot(_ token: RESPToken, _ what: String) throws(RedisClusterTopologyError) -> UInt16 {
        let value = try integer(token, what)
        guard let slot = RedisHashSlot(value) else { throw failure("\(what) is \(value), not a slot (0-16383)") }
        return slot.rawValue
    }

    /// A slot range from its first and last slot.
    func slotRange(_ start: RESPToken, _ end: RESPToken, _ what: String) throws(RedisClusterTopologyError)
        -> ClosedRange<UInt16>
    {
        let first = try slot(start, "the start of \(what)")
        let last = try slot(end, "the end of \(what)")
        guard first <= last else { throw failure("\(what) runs backwards, from \(first) to \(last)") }
        return first...last
    }

    /// A TCP port, 1...65535.
    func port(_ token: RESPToken, _ what: String) throws(RedisClusterTopologyError) -> Int {
        let value = try integer(token, what)
        guard (1...65535).contains(value) else { throw failure("\(what) is \(value), not a port number (1-65535)") }
        return Int(value)
    }

    /// A string-like value as text.
    func string(_ token: RESPToken, _ what: String) throws(RedisClusterTopologyError) -> String {
        guard let text = token.withoutAttributes.string else {
            throw failure("\(what) is \(Self.shown(token)), not a string")
        }
        return text
    }

    /// A string-like value as text, or nil for a null.
    func optionalString(_ token: RESPToken, _ what: String) throws(RedisClusterTopologyError) -> String? {
        token.withoutAttributes.isNull ? nil : try string(token, what)
    }

    /// The host a client should use for a node, from its preferred endpoint and its IP address.
    ///
    /// An endpoint that is a real address wins. `?` (the preferred endpoint type is `hostname` but the node has
    /// none) or a missing endpoint falls back to the IP address. An empty or null endpoint (the preferred endpoint
    /// type is `unknown-endpoint`) gives an empty host: "the host you asked".
    func host(endpoint: String?, endpointGiven: Bool, ip: String?, _ what: String) throws(RedisClusterTopologyError)
        -> String
    {
        if let endpoint, !endpoint.isEmpty, endpoint != "?" { return endpoint }
        if endpointGiven, endpoint == nil || endpoint == "" { return "" }
        if let ip, !ip.isEmpty, ip != "?" { return ip }
        throw failure("\(what) has no usable endpoint (\(endpoint.map { "\"\($0)\"" } ?? "none")) and no IP address")
    }

    /// A short rendering of a value for an error message.
    static func shown(_ token: RESPToken) -> String {
        let text = token.description
        guard text.count > 60 else { return text }
        return String(text.prefix(60)) + "…"
    }
}
