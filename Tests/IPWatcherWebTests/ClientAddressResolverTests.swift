import Detection
import IPWatcherWeb
import Testing

/// Which address a request counts under, given its socket peer, its forwarding headers and the trusted proxies.
@Suite("Client address behind trusted proxies")
struct ClientAddressResolverTests {
    /// A proxy tier of load balancers (10.0.0.0/8) and an IPv6 reverse proxy.
    static let resolver = ClientAddressResolver(
        trustedProxies: [IPNetwork("10.0.0.0/8"), IPNetwork("2001:db8:ffff::/48")].compactMap { $0 })

    static func client(peer: String, forwarded: [String] = [], forwardedFor: [String] = []) throws -> IPAddress {
        Self.resolver.clientAddress(
            peer: try #require(IPAddress(peer)), forwarded: forwarded, forwardedFor: forwardedFor)
    }

    /// Behind a trusted peer, `X-Forwarded-For` (one or more headers) gives the right-most untrusted hop.
    @Test(
        "X-Forwarded-For from a trusted peer: the right-most untrusted hop",
        arguments: [
            ("10.0.0.2", ["198.51.100.1"], "198.51.100.1"),  // one trusted proxy
            ("10.0.0.2", ["1.2.3.4, 198.51.100.1"], "198.51.100.1"),  // a spoofed left-hand entry loses
            ("10.0.0.2", ["1.2.3.4, 198.51.100.1, 10.0.0.9"], "198.51.100.1"),  // trusted hops are skipped
            ("10.0.0.2", ["1.2.3.4, 198.51.100.1", "10.0.0.9"], "198.51.100.1"),  // several headers, one list
            ("10.0.0.2", ["10.1.1.1, 10.0.0.9"], "10.1.1.1"),  // every hop trusted: the left-most
            ("10.0.0.2", [""], "10.0.0.2"),  // an empty header: the peer
            ("10.0.0.2", ["198.51.100.1, not-an-ip, 10.0.0.9"], "10.0.0.9"),  // garbage: the nearest trusted hop
            ("10.0.0.2", ["[2001:db8::5]:4711, 10.0.0.3:80"], "2001:db8::5"),  // ports and brackets removed
            ("10.0.0.2", ["198.51.100.1:4711"], "198.51.100.1"),  // IPv4 with a port
            ("::ffff:10.0.0.2", ["198.51.100.1"], "198.51.100.1"),  // a mapped peer in a trusted IPv4 network
            ("2001:db8:ffff::1", ["2001:db8:1:2::9"], "2001:db8:1:2::9"),  // an IPv6 proxy
        ])
    func forwardedFor(peer: String, header: [String], expected: String) throws {
        #expect(try Self.client(peer: peer, forwardedFor: header) == IPAddress(expected))
    }

    /// `Forwarded` (RFC 7239) is read the same way, and wins over `X-Forwarded-For` when both are there.
    @Test(
        "Forwarded from a trusted peer: the right-most untrusted for=",
        arguments: [
            (["for=192.0.2.60;proto=http;by=10.0.0.2"], "192.0.2.60"),
            ([#"for=192.0.2.43, FOR="[2001:db8:cafe::17]:4711""#], "2001:db8:cafe::17"),  // quoted, any case
            (["for=192.0.2.43, for=_hidden"], "10.0.0.2"),  // an obfuscated node ends the walk
            (["for=192.0.2.43, proto=https"], "10.0.0.2"),  // so does an element without for=
            (["for=192.0.2.43", "for=10.0.0.7;by=10.0.0.2"], "192.0.2.43"),  // trusted hops skipped
        ])
    func forwarded(header: [String], expected: String) throws {
        #expect(try Self.client(peer: "10.0.0.2", forwarded: header, forwardedFor: ["198.51.100.1"]) == IPAddress(expected))
    }

    @Test("an untrusted peer is the client whatever its headers say, and without trusted proxies so is any peer")
    func untrustedPeersHeadersAreIgnored() throws {
        #expect(try Self.client(peer: "203.0.113.7") == IPAddress("203.0.113.7"))
        #expect(try Self.client(peer: "203.0.113.7", forwardedFor: ["198.51.100.1"]) == IPAddress("203.0.113.7"))
        #expect(try Self.client(peer: "203.0.113.7", forwarded: ["for=198.51.100.1"]) == IPAddress("203.0.113.7"))
        let peer = try #require(IPAddress("10.0.0.2"))
        let trustingNobody = ClientAddressResolver()
        #expect(trustingNobody.clientAddress(peer: peer, forwarded: ["for=1.2.3.4"], forwardedFor: ["1.2.3.4"]) == peer)
    }
}
