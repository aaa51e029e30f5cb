/// The thing that is counted and blocked: an address aggregated to a prefix.
///
/// IPv6 clients usually hold a whole /64 and can rotate addresses within it at will, so counting single
/// IPv6 addresses would never reach a threshold; aggregating to a prefix makes the rotating client one unit.
/// Two units are equal exactly when their ``name``s are equal.
public struct DetectionUnit: Hashable, Sendable {
    /// The network the unit covers; a single address when the prefix is full length.
    public let network: IPNetwork

    /// The longest ``name``: a full IPv6 address with a length, as in `ffff:…:fffe/127`.
    public static let maximumNameLength = IPNetwork.maximumTextLength

    /// The unit `address` belongs to: its IPv4 address aggregated to `ipv4Prefix` bits, or its IPv6
    /// address to `ipv6Prefix` bits.
    ///
    /// An IPv4-mapped address counts as IPv4, so a client is one unit whichever socket family reported
    /// it. Prefixes are clamped to the address width (see ``IPNetwork/init(address:prefixLength:)``).
    public init(address: IPAddress, ipv4Prefix: Int, ipv6Prefix: Int) {
        let address = address.unmappedIPv4
        network = IPNetwork(address: address, prefixLength: address.isIPv4 ? ipv4Prefix : ipv6Prefix)
    }

    /// The unit covering exactly `network`.
    public init(network: IPNetwork) {
        self.network = network
    }

    /// The canonical text that names the unit in Redis keys and in the blocklist.
    ///
    /// A full-length unit is named by its address alone (`203.0.113.7`, `2001:db8::1`) so the web tier can
    /// check client addresses directly; any other unit is `network/length` (`2001:db8:1:2::/64`). Allocates
    /// a String; the hot path uses ``withName(_:)``.
    public var name: String {
        TextCursor.string(capacity: DetectionUnit.maximumNameLength) { writeName(to: &$0) }
    }

    /// Calls `body` with ``name``'s UTF-8 bytes, formatted on the stack without touching the heap.
    ///
    /// The bytes are only valid inside `body`; copy them out (into a command buffer, say) before returning.
    public func withName<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeTemporaryAllocation(byteCount: DetectionUnit.maximumNameLength, alignment: 1) { buffer in
            var cursor = TextCursor(buffer)
            writeName(to: &cursor)
            return try body(UnsafeRawBufferPointer(rebasing: buffer[0..<cursor.count]))
        }
    }

    /// Writes ``name``'s bytes to the start of `buffer` and returns how many were written.
    ///
    /// Needs ``maximumNameLength`` bytes of room whatever the unit; returns nil without writing otherwise.
    public func write(into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        TextCursor.write(into: buffer, capacity: DetectionUnit.maximumNameLength) { writeName(to: &$0) }
    }

    /// The unit a name denotes, for tools that look names up in the blocklist; the inverse of ``name``.
    ///
    /// Accepts every ``name`` and, leniently, any other spelling ``IPNetwork/init(_:)`` accepts (upper
    /// case, host bits set, `/32` on a single address), returning the canonical unit, so
    /// `parse(name:)?.name` is the key to look up.
    public static func parse(name: String) -> DetectionUnit? {
        IPNetwork(name).map(DetectionUnit.init(network:))
    }

    /// Appends ``name``; at most ``maximumNameLength`` bytes.
    func writeName(to cursor: inout TextCursor) {
        if network.isSingleAddress {
            network.address.write(to: &cursor)
        } else {
            network.writeCIDR(to: &cursor)
        }
    }
}

extension DetectionUnit: CustomStringConvertible {
    /// The unit's ``name``.
    public var description: String { name }
}
