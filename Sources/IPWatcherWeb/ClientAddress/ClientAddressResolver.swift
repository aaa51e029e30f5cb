import Detection

/// Decides which address a request is counted and checked under.
///
/// The socket peer, unless the peer is one of ``trustedProxies``: then the forwarding headers are read from
/// the right (the hop nearest to this server) leftwards, skipping every address that is itself a trusted proxy,
/// and the first one that is not is the client. So:
///
/// - A header from an untrusted peer never changes the address: anyone can send `X-Forwarded-For`.
/// - Only the right-most untrusted hop counts. Everything to its left was written by the client or by proxies
///   you do not run, and a bot would put a random address there to spread its requests over many units.
/// - An entry that is not an address (`unknown`, an obfuscated `_hidden` node, garbage) ends the walk, and the
///   nearest trusted hop seen so far (at first the peer) is taken: attributing the request to a proxy is safe
///   (at worst that proxy's address crosses the threshold), attributing it to a guessed address is not.
/// - When every hop is trusted, the left-most one is the client.
///
/// `Forwarded` (RFC 7239) is read when present, `X-Forwarded-For` otherwise; several headers of one kind are
/// read as one list, in order. List every proxy that appends to the header, load balancers included, or their
/// clients all count as that proxy.
public struct ClientAddressResolver: Sendable {
    /// The networks whose hops may name another client: your load balancers and reverse proxies.
    public var trustedProxies: [IPNetwork]

    /// A resolver trusting `trustedProxies`; with none, the socket peer is always the client.
    public init(trustedProxies: [IPNetwork] = []) {
        self.trustedProxies = trustedProxies
    }

    /// Whether `address` belongs to one of ``trustedProxies``.
    public func isTrusted(_ address: IPAddress) -> Bool {
        trustedProxies.contains { $0.contains(address) }
    }

    /// The client of a request from `peer` that carried these header values (each a whole header's value,
    /// in the order received; pass empty arrays when the headers are absent).
    public func clientAddress(peer: IPAddress, forwarded: [String] = [], forwardedFor: [String] = []) -> IPAddress {
        guard isTrusted(peer) else { return peer }
        if !forwarded.isEmpty {
            return walk(from: peer, hops: forwarded.reversed().lazy.flatMap { ForwardingHeader.forwardedHops($0).reversed() })
        }
        return walk(from: peer, hops: forwardedFor.reversed().lazy.flatMap { ForwardingHeader.forwardedForHops($0).reversed() })
    }

    /// Walks hops nearest first; each is nil when it does not name an address.
    private func walk(from peer: IPAddress, hops: some Sequence<IPAddress?>) -> IPAddress {
        var nearestTrusted = peer
        for hop in hops {
            guard let hop else { return nearestTrusted }
            guard isTrusted(hop) else { return hop }
            nearestTrusted = hop
        }
        return nearestTrusted
    }
}
