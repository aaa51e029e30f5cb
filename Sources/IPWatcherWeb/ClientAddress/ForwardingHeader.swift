import Detection

/// Reads the hops of the forwarding headers; each hop is an address or nil for anything else.
enum ForwardingHeader {
    /// The hops of one `X-Forwarded-For` value, left to right: `203.0.113.7, 198.51.100.1`.
    ///
    /// An entry may carry a port (`203.0.113.7:4711`, `[2001:db8::1]:4711`), as some load balancers write it.
    static func forwardedForHops(_ value: String) -> [IPAddress?] {
        value.split(separator: ",", omittingEmptySubsequences: false).map { address(in: $0) }
    }

    /// The `for=` hops of one `Forwarded` value (RFC 7239), left to right:
    /// `for=192.0.2.60;proto=http, for="[2001:db8:cafe::17]:4711"`.
    ///
    /// An element without `for=` is a hop that names no address.
    static func forwardedHops(_ value: String) -> [IPAddress?] {
        value.split(separator: ",", omittingEmptySubsequences: false).map { element in
            for pair in element.split(separator: ";") {
                let trimmed = pair.drop { $0 == " " || $0 == "\t" }
                guard let equals = trimmed.firstIndex(of: "="),
                      trimmed[..<equals].lowercased() == "for"
                else { continue }
                var node = trimmed[trimmed.index(after: equals)...]
                if node.hasPrefix("\""), node.hasSuffix("\""), node.count >= 2 {
                    node = node.dropFirst().dropLast()
                }
                return address(in: node)
            }
            return nil
        }
    }

    /// The address in one hop: surrounding blanks, brackets and a port are removed.
    static func address(in hop: Substring) -> IPAddress? {
        var text = hop.trimmingBlanks()
        if text.hasPrefix("[") {
            // [IPv6] or [IPv6]:port
            guard let close = text.firstIndex(of: "]") else { return nil }
            let rest = text[text.index(after: close)...]
            guard rest.isEmpty || (rest.hasPrefix(":") && rest.dropFirst().allSatisfy(\.isASCIIDigit)) else { return nil }
            text = text[text.index(after: text.startIndex)..<close]
        } else if let colon = text.firstIndex(of: ":"), text.lastIndex(of: ":") == colon {
            // One colon: IPv4:port (an IPv6 address has at least two).
            guard text[text.index(after: colon)...].allSatisfy(\.isASCIIDigit) else { return nil }
            text = text[..<colon]
        }
        return IPAddress(String(text))
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs.
    fileprivate func trimmingBlanks() -> Substring {
        let isText: (Character) -> Bool = { $0 != " " && $0 != "\t" }
        guard let first = firstIndex(where: isText), let last = lastIndex(where: isText) else { return self[endIndex...] }
        return self[first...last]
    }
}

extension Character {
    /// `0`–`9` only (not other scripts' digits, which `isNumber` accepts).
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
