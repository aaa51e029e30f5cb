/// A cluster node's answer that a key's slot is served elsewhere: `MOVED` (for good) or `ASK` (for this one
/// command, while the slot migrates).
///
/// After `MOVED` a client sends the command to the named node and should refresh its ``RedisClusterTopology``.
/// After `ASK` it sends `ASKING` and then the command to the named node, once, and keeps its topology.
public enum RedisRedirection: Sendable, Hashable, CustomStringConvertible {
    /// The slot now lives on `host:port`; an empty host means the host of the node that answered.
    case moved(slot: RedisHashSlot, host: String, port: Int)
    /// The slot is migrating and this key should be looked for on `host:port`, after `ASKING`; an empty host
    /// means the host of the node that answered.
    case ask(slot: RedisHashSlot, host: String, port: Int)

    /// The redirection an error reply carries, or nil when it is not a well-formed `MOVED` or `ASK` error.
    ///
    /// The message is `MOVED <slot> <host>:<port>` or `ASK <slot> <host>:<port>`. The port follows the last colon,
    /// so an IPv6 host needs no brackets (`MOVED 3999 ::1:6381`), though brackets are accepted and removed. The
    /// host may be empty (`MOVED 3999 :6380`): Redis 7 sends that when the cluster's preferred endpoint type is
    /// `unknown-endpoint`, meaning the host the client sent the command to; ``resolved(answeringHost:)`` fills
    /// it in. A slot outside 0...16383, a port outside 1...65535, or words missing or extra give nil.
    public init?(_ error: RedisServerError) {
        self.init(message: error.message)
    }

    /// The redirection in the text of an error reply, such as `MOVED 3999 127.0.0.1:6381`; see ``init(_:)``.
    public init?(message: some StringProtocol) {
        let words = message.split(separator: " ", omittingEmptySubsequences: false)
        guard words.count == 3, let slotNumber = UInt16(words[1]), let slot = RedisHashSlot(rawValue: slotNumber),
            let colon = words[2].lastIndex(of: ":")
        else { return nil }
        let address = words[2]
        guard let port = Int(address[address.index(after: colon)...]), (1...65535).contains(port) else { return nil }
        var host = address[..<colon]
        if host.hasPrefix("["), host.hasSuffix("]"), host.count >= 2 {
            host = host.dropFirst().dropLast()
        }
        switch words[0] {
        case "MOVED": self = .moved(slot: slot, host: String(host), port: port)
        case "ASK": self = .ask(slot: slot, host: String(host), port: port)
        default: return nil
        }
    }

    /// The slot the redirected key belongs to.
    public var slot: RedisHashSlot {
        switch self {
        case .moved(let slot, _, _), .ask(let slot, _, _): return slot
        }
    }

    /// The host to send the command to; empty for the host of the node that answered.
    public var host: String {
        switch self {
        case .moved(_, let host, _), .ask(_, let host, _): return host
        }
    }

    /// The port to send the command to.
    public var port: Int {
        switch self {
        case .moved(_, _, let port), .ask(_, _, let port): return port
        }
    }

    /// Whether the client should send `ASKING` before the redirected command (true for ``ask(slot:host:port:)``).
    public var isAsk: Bool {
        if case .ask = self { return true }
        return false
    }

    /// The same redirection with an empty host replaced by `answeringHost`, the host of the node whose error
    /// this was; a redirection that names its host is returned unchanged.
    public func resolved(answeringHost: String) -> RedisRedirection {
        guard host.isEmpty else { return self }
        switch self {
        case .moved(let slot, _, let port): return .moved(slot: slot, host: answeringHost, port: port)
        case .ask(let slot, _, let port): return .ask(slot: slot, host: answeringHost, port: port)
        }
    }

    /// The message as Redis writes it, such as `MOVED 3999 127.0.0.1:6381` (IPv6 hosts are not bracketed).
    public var description: String {
        "\(isAsk ? "ASK" : "MOVED") \(slot.rawValue) \(host):\(port)"
    }
}
