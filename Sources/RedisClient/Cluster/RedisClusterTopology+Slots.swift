import RESP

extension RedisClusterTopology {
    /// Reads the reply to `CLUSTER SLOTS` (deprecated since Redis 7 but answered by every version), in RESP2 or
    /// RESP3 form.
    ///
    /// Each entry is `[start, end, master, replica, …]` and each node `[endpoint, port, id, metadata]`, where
    /// `id` is missing before Redis 4 and the metadata (Redis 7: a map, or in RESP2 a flat array, with `ip` and
    /// `hostname`) may be missing too; further elements are ignored. A master that serves several ranges appears
    /// in several entries, which become one shard. The endpoint is null when the cluster's preferred endpoint
    /// type is `unknown-endpoint`, which gives an empty host (see ``RedisClusterNode/host``), and `?` when it is
    /// `hostname` and the node has none, which falls back to the `ip` of the metadata.
    ///
    /// The reply says nothing of health or replication, so ``RedisClusterNode/health`` is nil for every node.
    /// Redis leaves failed replicas out of this reply, but not a failed master.
    ///
    /// - Throws: ``RedisClusterTopologyError`` when the reply is an error reply (kept in
    ///   ``RedisClusterTopologyError/serverError``), not an array of entries, an entry has fewer than three
    ///   elements, a slot is outside 0...16383, a range runs backwards or overlaps another, or a node has no
    ///   port or no usable address.
    public init(slotsReply reply: RESPToken) throws(RedisClusterTopologyError) {
        let reader = ClusterReplyReader(source: "CLUSTER SLOTS")
        // Per master, in order of first appearance: its node, its ranges as given, and its replicas.
        var groups: [(master: RedisClusterNode, ranges: [ClosedRange<UInt16>], replicas: [RedisClusterNode])] = []
        var entryNumber = 0
        for entryToken in try reader.topLevel(reply) {
            entryNumber += 1
            let what = "entry \(entryNumber)"
            let entry = try reader.list(entryToken, what)
            guard entry.count >= 3 else {
                throw reader.failure("\(what) has \(entry.count) elements, not start, end and a master")
            }
            let range = try reader.slotRange(entry[0], entry[1], "the slot range of \(what)")
            let master = try Self.slotsNode(entry[2], role: .master, reader: reader, what: "the master of \(what)")
            var replicas: [RedisClusterNode] = []
            for (offset, replicaToken) in entry[3...].enumerated() {
                let replica = "replica \(offset + 1) of \(what)"
                replicas.append(try Self.slotsNode(replicaToken, role: .replica, reader: reader, what: replica))
            }
            if let index = groups.firstIndex(where: { Self.sameNode($0.master, master) }) {
                groups[index].ranges.append(range)
                for replica in replicas where !groups[index].replicas.contains(where: { Self.sameNode($0, replica) }) {
                    groups[index].replicas.append(replica)
                }
            } else {
                groups.append((master, [range], replicas))
            }
        }
        var shards: [RedisClusterShard] = []
        for group in groups {
            try Self.checkDisjoint(group.ranges, of: group.master, reader: reader)
            shards.append(RedisClusterShard(slotRanges: group.ranges, master: group.master, replicas: group.replicas))
        }
        try self.init(shards: shards, source: reader.source)
    }

    /// Whether two nodes of a `CLUSTER SLOTS` reply are the same server: the same id, or without ids, the same
    /// address.
    private static func sameNode(_ a: RedisClusterNode, _ b: RedisClusterNode) -> Bool {
        if !a.id.isEmpty || !b.id.isEmpty { return a.id == b.id }
        return a.host == b.host && a.port == b.port
    }

    /// One node array of a `CLUSTER SLOTS` entry.
    private static func slotsNode(
        _ token: RESPToken, role: RedisClusterNode.Role, reader: ClusterReplyReader, what: String
    ) throws(RedisClusterTopologyError) -> RedisClusterNode
    {
        let elements = try reader.list(token, what)
        guard elements.count >= 2 else {
            throw reader.failure("\(what) has \(elements.count) elements, not an endpoint and a port")
        }
        let endpoint = try reader.optionalString(elements[0], "the endpoint of \(what)")
        let port = try reader.port(elements[1], "the port of \(what)")
        let id = elements.count > 2 ? try reader.string(elements[2], "the id of \(what)") : ""
        var ip: String?
        var hostname: String?
        if elements.count > 3 {
            for (key, value) in try reader.fields(elements[3], "the metadata of \(what)") {
                switch key {
                case "ip": ip = try reader.optionalString(value, "\"ip\" of \(what)")
                case "hostname": hostname = try reader.optionalString(value, "\"hostname\" of \(what)")
                default: break
                }
            }
        }
        // The metadata lists the addresses of the types other than the preferred one: without an "ip" there the
        // endpoint is the IP address (as it always is before Redis 7, which sends no metadata); with one, and
        // without a "hostname", the endpoint is the host name.
        if let endpoint, endpoint != "?", !endpoint.isEmpty {
            if ip == nil {
                ip = endpoint
            } else if hostname == nil {
                hostname = endpoint
            }
        }
        let host = try reader.host(endpoint: endpoint, endpointGiven: true, ip: ip, what)
        return RedisClusterNode(
            id: id, host: host, port: port, ip: ip.flatMap { $0.isEmpty ? nil : $0 },
            hostname: hostname.flatMap { $0.isEmpty ? nil : $0 }, role: role)
    }
}
