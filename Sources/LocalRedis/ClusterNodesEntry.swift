/// One line of a `CLUSTER NODES` reply: how one node sees itself or another node.
///
/// Format (Redis 7): `<id> <ip:port@cport[,hostname]> <flags> <master> <ping-sent> <pong-recv> <config-epoch>
/// <link-state> <slot> <slot> …`, where flags are comma-separated (`myself`, `master`, `slave`, `fail?`, `fail`,
/// `handshake`, `noaddr`, `nofailover`, `noflags`), master is `-` for masters, and a slot is a number, a range
/// `a-b`, or a migration note in brackets that is ignored here.
struct ClusterNodesEntry: Sendable, Equatable {
    /// The 40-character node ID.
    let id: String
    /// The client port from `ip:port@cport`.
    let port: Int
    /// The flags, split at commas.
    let flags: Set<String>
    /// The master's node ID for a replica, nil for a master.
    let masterID: String?
    /// Slot ranges served by this node, as listed.
    let slots: [ClosedRange<Int>]

    /// Whether this line describes the node that answered.
    var isMyself: Bool { flags.contains("myself") }
    /// Whether the node is a replica.
    var isReplica: Bool { flags.contains("slave") }
    /// Whether the node is flagged as failing, tentatively (`fail?`) or by agreement (`fail`).
    var isFailing: Bool { flags.contains("fail") || flags.contains("fail?") }
    /// How many slots the line lists.
    var slotCount: Int { slots.reduce(0) { $0 + $1.count } }

    /// Parses a whole `CLUSTER NODES` reply, skipping lines it cannot read.
    static func parse(_ reply: String) -> [ClusterNodesEntry] {
        reply.split(whereSeparator: \.isNewline).compactMap { ClusterNodesEntry(line: String($0)) }
    }

    init?(line: String) {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard fields.count >= 8 else { return nil }
        // "127.0.0.1:30001@40001,hostname": the port sits between the last ':' before '@' and the '@'.
        let address = fields[1].prefix { $0 != "@" && $0 != "," }
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else {
            return nil
        }
        id = fields[0]
        self.port = port
        flags = Set(fields[2].split(separator: ",").map(String.init))
        masterID = fields[3] == "-" ? nil : fields[3]
        slots = fields.dropFirst(8).compactMap { field -> ClosedRange<Int>? in
            if field.hasPrefix("[") { return nil }
            let bounds = field.split(separator: "-").compactMap { Int($0) }
            switch bounds.count {
            case 1: return bounds[0]...bounds[0]
            case 2 where bounds[0] <= bounds[1]: return bounds[0]...bounds[1]
            default: return nil
            }
        }
    }
}
