import RESP

extension RedisClusterTopology {
    /// Reads the reply to `CLUSTER SHARDS` (Redis 7 and later), in RESP2 or RESP3 form.
    ///
    /// Each shard is a map with `slots` (a flat list of start and end slots, empty for a shard without slots)
    /// and `nodes` (maps with `id`, `port` and/or `tls-port`, `ip`, `endpoint`, `hostname`, `role`,
    /// `replication-offset`, `health`); RESP2 sends every map as a flat array of keys and values. Fields this
    /// client does not use are ignored, so replies of later versions still parse.
    ///
    /// A node's host is its `endpoint`, else its `ip` (see ``RedisClusterNode/host``). A shard's master is its
    /// first master whose health is `online`, else its first master whatever its health: a failed master stays
    /// the slot owner until a replica takes over, since commands for its slots can go nowhere else. Other masters
    /// of the same shard are left out; replicas are kept whatever their health.
    ///
    /// - Throws: ``RedisClusterTopologyError`` when the reply is an error reply (the server's error is kept in
    ///   ``RedisClusterTopologyError/serverError``), is not an array of shard maps, lacks `slots` or `nodes`,
    ///   holds a slot outside 0...16383, a backwards or overlapping range, a node without `id`, port, `role` or
    ///   any usable address, an unknown role, or a shard that has slots but no master.
    public init(shardsReply reply: RESPToken) throws(RedisClusterTopologyError) {
        let reader = ClusterReplyReader(source: "CLUSTER SHARDS")
        var shards: [RedisClusterShard] = []
        var shardNumber = 0
        for shardToken in try reader.topLevel(reply) {
            shardNumber += 1
            let what = "shard \(shardNumber)"
            var slotsToken: RESPToken?
            var nodesToken: RESPToken?
            for (key, value) in try reader.fields(shardToken, what) {
                switch key {
                case "slots" where slotsToken == nil: slotsToken = value
                case "nodes" where nodesToken == nil: nodesToken = value
                default: break
                }
            }
            guard let slotsToken else { throw reader.failure("\(what) has no \"slots\" field") }
            guard let nodesToken else { throw reader.failure("\(what) has no \"nodes\" field") }

            let bounds = try reader.list(slotsToken, "the slots of \(what)")
            guard bounds.count % 2 == 0 else {
                throw reader.failure("the slots of \(what) are \(bounds.count) numbers, not start-end pairs")
            }
            var ranges: [ClosedRange<UInt16>] = []
            for pair in stride(from: 0, to: bounds.count, by: 2) {
                let range = try reader.slotRange(bounds[pair], bounds[pair + 1], "slot range \(pair / 2 + 1) of \(what)")
                ranges.append(range)
            }

            var masters: [RedisClusterNode] = []
            var replicas: [RedisClusterNode] = []
            var nodeNumber = 0
            for nodeToken in try reader.array(nodesToken, "the nodes of \(what)") {
                nodeNumber += 1
                let node = try Self.shardNode(nodeToken, reader: reader, what: "\(what), node \(nodeNumber)")
                if node.role == .master { masters.append(node) } else { replicas.append(node) }
            }
            guard !ranges.isEmpty else { continue }
            guard let master = masters.first(where: \.isOnline) ?? masters.first else {
                let shown = ranges.map { "\($0.lowerBound)-\($0.upperBound)" }.joined(separator: " ")
                throw reader.failure("\(what) serves slots \(shown) but lists no master")
            }
            try Self.checkDisjoint(ranges, of: master, reader: reader)
            shards.append(RedisClusterShard(slotRanges: ranges, master: master, replicas: replicas))
        }
        try self.init(shards: shards, source: reader.source)
    }

    /// One node map of a `CLUSTER SHARDS` shard.
    private static func shardNode(_ token: RESPToken, reader: ClusterReplyReader, what: String)
        throws(RedisClusterTopologyError) -> RedisClusterNode
    {
        var id: String?
        var port: Int?
        var tlsPort: Int?
        var ip: String?
        var endpoint: String?
        var endpointGiven = false
        var hostname: String?
        var role: RedisClusterNode.Role?
        var health: RedisClusterNode.Health?
        var replicationOffset: Int64?
        for (key, value) in try reader.fields(token, what) {
            let field = "\"\(key)\" of \(what)"
            switch key {
            case "id": id = try reader.string(value, field)
            case "port": port = try reader.port(value, field)
            case "tls-port": tlsPort = try reader.port(value, field)
            case "ip": ip = try reader.optionalString(value, field)
            case "endpoint":
                endpoint = try reader.optionalString(value, field)
                endpointGiven = true
            case "hostname":
                hostname = try reader.optionalString(value, field).flatMap { $0.isEmpty ? nil : $0 }
            case "role":
                let text = try reader.string(value, field)
                switch text {
                case "master": role = .master
                case "replica", "slave": role = .replica
                default: throw reader.failure("\(field) is \"\(text)\", not master or replica")
                }
            case "health":
                let text = try reader.string(value, field)
                health = text == "fail" ? .failed : RedisClusterNode.Health(rawValue: text)
            case "replication-offset": replicationOffset = try reader.integer(value, field)
            default: break
            }
        }
        guard let id, !id.isEmpty else { throw reader.failure("\(what) has no \"id\"") }
        guard let role else { throw reader.failure("\(what) has no \"role\"") }
        guard let connectPort = port ?? tlsPort else {
            throw reader.failure("\(what) has neither \"port\" nor \"tls-port\"")
        }
        let host = try reader.host(endpoint: endpoint, endpointGiven: endpointGiven, ip: ip, what)
        return RedisClusterNode(
            id: id, host: host, port: connectPort, tlsPort: tlsPort, ip: ip.flatMap { $0.isEmpty ? nil : $0 },
            hostname: hostname, role: role, health: health, replicationOffset: replicationOffset)
    }

    /// Throws when two of the ranges a reply gives one master overlap; checked before the shard merges them.
    /// Overlaps between shards are caught by ``init(shards:)``.
    static func checkDisjoint(_ ranges: [ClosedRange<UInt16>], of master: RedisClusterNode, reader: ClusterReplyReader)
        throws(RedisClusterTopologyError)
    {
        let sorted = ranges.sorted { $0.lowerBound < $1.lowerBound }
        for (previous, range) in zip(sorted, sorted.dropFirst()) where range.lowerBound <= previous.upperBound {
            throw reader.failure(
                "\(master) is given slots \(previous.lowerBound)-\(previous.upperBound) and "
                    + "\(range.lowerBound)-\(range.upperBound), which overlap")
        }
    }
}
