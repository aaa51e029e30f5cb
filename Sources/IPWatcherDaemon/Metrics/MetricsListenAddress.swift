import Detection

/// Where the metrics endpoint listens: a host and a TCP port, written `host:port` or `[IPv6]:port`.
///
/// The host is an IPv4 address, an IPv6 address in brackets, or a host name resolved when the server binds
/// (`localhost`). Port 0 asks the system for a free port, which the server logs once bound; tests use it.
public struct MetricsListenAddress: Sendable, Hashable, CustomStringConvertible {
    /// The address or name to bind, without brackets.
    public let host: String
    /// The TCP port, 0...65535.
    public let port: Int

    /// The product's default, `127.0.0.1:9464`: loopback only, so nothing is exposed beyond this machine
    /// unless the operator says so.
    public static let productDefault = MetricsListenAddress(validatedHost: "127.0.0.1", port: 9464)

    /// Any free loopback port, for tests and tools that run beside a real daemon.
    public static let anyLoopbackPort = MetricsListenAddress(validatedHost: "127.0.0.1", port: 0)

    private init(validatedHost host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port` or `[IPv6]:port`; nil when `text` is neither (see ``problem(with:)`` for why).
    public init?(_ text: String) {
        guard case .success(let address) = Self.parse(text) else { return nil }
        self = address
    }

    /// Why `text` is not a listen address, phrased to follow the quoted value in an error; nil when it is one.
    public static func problem(with text: String) -> String? {
        if case .failure(let problem) = parse(text) { return problem.reason }
        return nil
    }

    /// The same host with another port: the one the system picked for port 0.
    func withPort(_ port: Int) -> MetricsListenAddress {
        MetricsListenAddress(validatedHost: host, port: port)
    }

    /// `127.0.0.1:9464`, `[::1]:9464`: the form the configuration takes.
    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Whether connections can only come from this machine: a loopback address or `localhost`.
    public var isLoopback: Bool {
        switch IPAddress(host)?.unmappedIPv4 {
        case .v4(let bits)?: return bits >> 24 == 127
        case .v6(let high, let low)?: return high == 0 && low == 1
        case nil: return host.lowercased() == "localhost"
        }
    }

    /// A reason the text is refused, carried through `Result`.
    private struct Problem: Error {
        let reason: String
    }

    private static let expected = "is not host:port or [IPv6]:port (e.g. 127.0.0.1:9464); \"\" turns metrics off"

    private static func parse(_ text: String) -> Result<MetricsListenAddress, Problem> {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[close...].hasPrefix("]:") else {
                return .failure(Problem(reason: expected))
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
            guard host.contains(":"), IPAddress(String(host)) != nil else {
                return .failure(Problem(reason: "has no IPv6 address in its brackets"))
            }
        } else {
            guard let colon = text.lastIndex(of: ":") else { return .failure(Problem(reason: expected)) }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") {
                let isIPv6 = IPAddress(String(host)) != nil
                return .failure(Problem(reason: isIPv6 ? "needs its IPv6 address in brackets: [::1]:9464" : expected))
            }
            // Digits and dots must make an IPv4 address; a resolver would take `10.1` as 10.0.0.1.
            let looksNumeric = host.allSatisfy { $0 == "." || ($0.isASCII && $0.isWholeNumber) }
            guard looksNumeric ? IPAddress(String(host)) != nil : isHostName(host) else {
                return .failure(Problem(reason: expected))
            }
        }
        // Plain digits only: Int(_:) would also take a sign.
        guard (1...5).contains(portText.count), portText.allSatisfy({ $0.isASCII && $0.isWholeNumber }),
            let port = Int(portText), port <= 65535
        else { return .failure(Problem(reason: "has no port from 0 to 65535 after its last colon")) }
        return .success(MetricsListenAddress(validatedHost: String(host), port: port))
    }

    /// An IPv4 address or a DNS name: labels of letters, digits and hyphens separated by dots. Anything else
    /// would only fail later, at bind time, with a less helpful message.
    private static func isHostName(_ host: Substring) -> Bool {
        guard !host.isEmpty, host.count <= 253 else { return false }
        return host.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            !label.isEmpty && label.count <= 63 && label.first != "-" && label.last != "-"
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
    }
}
