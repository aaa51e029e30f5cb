extension IPNetwork: CustomStringConvertible {
    /// CIDR notation with the canonical address text, always with the length (`203.0.113.7/32`).
    public var description: String {
        TextCursor.string(capacity: IPNetwork.maximumTextLength) { writeCIDR(to: &$0) }
    }

    /// Writes ``description``'s bytes to the start of `buffer` and returns how many were written.
    ///
    /// Needs ``maximumTextLength`` bytes of room whatever the network; returns nil without writing otherwise.
    public func write(into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        TextCursor.write(into: buffer, capacity: IPNetwork.maximumTextLength) { writeCIDR(to: &$0) }
    }

    /// Appends `address/length`; at most ``maximumTextLength`` bytes.
    func writeCIDR(to cursor: inout TextCursor) {
        address.write(to: &cursor)
        cursor.append(ASCII.slash)
        cursor.appendSmallDecimal(prefixLength)
    }
}
