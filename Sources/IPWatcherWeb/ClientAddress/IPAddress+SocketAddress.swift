import Detection
import NIOCore

extension IPAddress {
    /// The address of a SwiftNIO socket address (a connection's `remoteAddress`), read from its bytes without
    /// formatting text; nil for a unix-domain socket, which has no IP address.
    ///
    /// An IPv4-mapped IPv6 peer (a dual-stack listener's IPv4 client) becomes its IPv4 address, so a client counts
    /// under one name whichever socket accepted it.
    public init?(_ socketAddress: SocketAddress) {
        switch socketAddress {
        case .v4(let address):
            self = .v4(UInt32(bigEndian: address.address.sin_addr.s_addr))
        case .v6(let address):
            let bytes = withUnsafeBytes(of: address.address.sin6_addr) { Array($0) }
            let high = bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let low = bytes[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            self = IPAddress.v6(high: high, low: low).unmappedIPv4
        case .unixDomainSocket:
            return nil
        }
    }
}
