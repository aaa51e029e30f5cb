extension TopRenderer {
    /// `1234567` as `1,234,567`.
    static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var text = ""
        for (offset, digit) in digits.enumerated() {
            if offset > 0 && (digits.count - offset) % 3 == 0 { text.append(",") }
            text.append(digit)
        }
        return value < 0 ? "-" + text : text
    }

    /// A rate with one decimal, grouped: `1,234.5`.
    static func decimal(_ value: Double) -> String {
        guard value.isFinite else { return "—" }
        let tenths = Int((value * 10).rounded())
        return grouped(tenths / 10) + "." + String(abs(tenths % 10))
    }

    /// Unix ms as `HH:MM:SS` of UTC.
    static func clock(_ milliseconds: Int64) -> String {
        let seconds = Int((milliseconds / 1000) % 86_400 + 86_400) % 86_400
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(two(seconds / 3600)):\(two(seconds % 3600 / 60)):\(two(seconds % 60))"
    }

    /// A duration in ms as `(5s)`, `(3m)`, `(2h)`, `(4d)`: how long ago.
    static func age(_ milliseconds: Int64) -> String {
        let seconds = max(milliseconds, 0) / 1000
        if seconds < 60 { return "(\(seconds)s)" }
        if seconds < 3600 { return "(\(seconds / 60)m)" }
        if seconds < 86_400 { return "(\(seconds / 3600)h)" }
        return "(\(seconds / 86_400)d)"
    }

    /// `text` padded with spaces to `width` (on the left with `right`); longer text is left as it is.
    static func padded(_ text: String, _ width: Int, right: Bool = false) -> String {
        let padding = String(repeating: " ", count: max(width - text.count, 0))
        return right ? padding + text : text + padding
    }
}
