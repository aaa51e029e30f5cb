import Detection
import IPWatcherWeb
import NIOCore
import Testing

/// The peer's address as SwiftNIO reports it.
@Suite("IPAddress from a SwiftNIO socket address")
struct IPAddressSocketAddressTests {
    @Test(
        "IPv4, IPv6 and IPv4-mapped peers read as the worker's addresses; a unix socket has none",
        arguments: [
            ("203.0.113.7", "203.0.113.7"), ("2001:db8::7:1", "2001:db8::7:1"), ("::ffff:198.51.100.2", "198.51.100.2"),
            ("::1", "::1"),
        ])
    func socketAddressesReadAsAddresses(text: String, expected: String) throws {
        let socketAddress = try SocketAddress(ipAddress: text, port: 443)
        #expect(IPAddress(socketAddress) == IPAddress(expected))
        #expect(IPAddress(try SocketAddress(unixDomainSocketPath: "/tmp/x.sock")) == nil)
    }
}
