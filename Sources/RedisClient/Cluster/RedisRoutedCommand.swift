import RESP

/// A command and the hash slot it is routed by: the slot of the key it names, or of the keys it names, which in a
/// Redis Cluster must all share one slot.
public struct RedisRoutedCommand: Sendable {
    /// The slot whose master runs the command in a cluster; ignored by a single server.
    public var slot: RedisHashSlot
    /// The command.
    public var command: RESPCommand

    /// A command routed by `key`.
    public init(_ command: RESPCommand, key: String) {
        self.slot = RedisHashSlot(key: key)
        self.command = command
    }

    /// A command routed by a slot the caller has already computed.
    public init(_ command: RESPCommand, slot: RedisHashSlot) {
        self.slot = slot
        self.command = command
    }
}
