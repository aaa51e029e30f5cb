extension IPNetwork: CustomStringConvertible {
    /// CIDR notation with the canonical address text, always with the length (`203.0.113.7/32`).
    public var description: String {
        String(unsafeUninitializedCapacity: IPNetwork.maximumTextLength) { buffer in
            var cursor = TextCursor(UnsafeMutableRawBufferPointer(buffer))
            writeCIDR(to: &cursor)
            return cursor.count
        }
    }

    /// Writes ``description``'s bytes to the start of `buffer` and returns how many were written.
    ///
    /// Needs ``maximumTextLength`` bytes of room whatever the network; returns nil without writing otherwise.
    public func write(into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        guard buffer.count >= IPNetwork.maximumTextLength else { return nil }
        var cursor = TextCursor(buffer)
        writeCIDR(to: &cursor)
        return cursor.count
    }

    /// Appends `address/length`; at most ``maximumTextLength`` bytes.
    func writeCIDR(to cursor: inout TextCursor) {
        address.write(to: &cursor)
        cursor.append(ASCII.slash)
        cursor.appendSmallDecimal(prefixLength)
    }
}
