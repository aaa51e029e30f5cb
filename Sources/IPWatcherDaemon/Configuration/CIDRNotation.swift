/// Checks allowlist entries for CIDR syntax without depending on the Detection module's `IPNetwork`, which is
/// written in parallel; the daemon converts the checked strings with it.
enum CIDRNotation {
    /// Whether `text` is an IPv4 or IPv6 network in CIDR notation (`10.0.0.0/8`, `2001:db8::/32`) or a bare
    /// address (a network of one), by the rules of the Detection module's `IPNetwork(_:)`: host bits below the
    /// prefix are allowed, the prefix is plain decimal without leading zeros and at most the address width.
    static func isValid(_ text: String) -> Bool {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let address = parts[0]
        let maximumPrefix: Int
        if isIPv4(address) {
            maximumPrefix = 32
        } else if isIPv6(address) {
            maximumPrefix = 128
        } else {
            return false
        }
        guard parts.count == 2 else { return true }
        let prefix = parts[1]
        guard (1...3).contains(prefix.count), prefix.allSatisfy(\.isASCIIDigit),
            prefix.count == 1 || prefix.first != "0", let length = Int(prefix)
        else { return false }
        return length <= maximumPrefix
    }

    /// Dotted-quad IPv4: four decimal parts 0...255, without leading zeros, which some parsers read as octal.
    static func isIPv4(_ text: Substring) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return false }
        return parts.allSatisfy { part in
            guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isASCIIDigit), let value = Int(part) else {
                return false
            }
            return value <= 255 && (part.count == 1 || part.first != "0")
        }
    }

    /// RFC 4291 text form: eight groups of one to four hex digits, at most one `::` standing for one or more
    /// zero groups, and optionally an IPv4 address as the last 32 bits. Zone identifiers (`%eth0`) are refused.
    static func isIPv6(_ text: Substring) -> Bool {
        guard text.contains(":") else { return false }
        let halves = text.split(separator: "::", maxSplits: 2, omittingEmptySubsequences: false)
        guard halves.count <= 2 else { return false }
        func groups(_ part: Substring, allowIPv4: Bool) -> Int? {
            guard !part.isEmpty else { return 0 }
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            var count = 0
            for (index, piece) in pieces.enumerated() {
                if allowIPv4, index == pieces.count - 1, piece.contains(".") {
                    guard isIPv4(piece) else { return nil }
                    count += 2
                } else {
                    guard (1...4).contains(piece.count), piece.allSatisfy({ $0.isASCII && $0.isHexDigit }) else {
                        return nil
                    }
                    count += 1
                }
            }
            return count
        }
        if halves.count == 1 {
            return groups(halves[0], allowIPv4: true) == 8
        }
        guard let head = groups(halves[0], allowIPv4: false), let tail = groups(halves[1], allowIPv4: true) else {
            return false
        }
        return head + tail <= 7
    }
}

extension Character {
    /// `0`…`9` only; `isNumber` would also accept other scripts' digits and fractions.
    fileprivate var isASCIIDigit: Bool { isASCII && isWholeNumber }
}
