/// Number formats for progress lines and reports: `1,234,567`, `1.02M/s`, `1.2s`.
///
/// Written out by hand rather than with Foundation's formatters so the output is the same in every locale
/// (scripts compare it) and costs nothing to produce five times a second.
public enum NumberText {
    /// `value` with thousands separated by commas.
    public static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var result = ""
        for (offset, character) in digits.enumerated() {
            if offset > 0, (digits.count - offset) % 3 == 0 { result.append(",") }
            result.append(character)
        }
        return value < 0 ? "-" + result : result
    }

    /// A rate per second with three significant digits and a k or M suffix: `980/s`, `12.3k/s`, `1.02M/s`.
    public static func rate(_ perSecond: Double) -> String {
        guard perSecond.isFinite, perSecond >= 0 else { return "-" }
        if perSecond >= 1_000_000 { return significant(perSecond / 1_000_000) + "M/s" }
        if perSecond >= 1000 { return significant(perSecond / 1000) + "k/s" }
        return significant(perSecond) + "/s"
    }

    /// Seconds with one decimal: `0.4s`, `12.0s`.
    public static func seconds(_ duration: Duration) -> String {
        fixed(duration.seconds, decimals: 1) + "s"
    }

    /// `value` with `decimals` digits after the point, rounded half up.
    public static func fixed(_ value: Double, decimals: Int) -> String {
        guard value.isFinite else { return "-" }
        var scale = 1.0
        for _ in 0..<max(decimals, 0) { scale *= 10 }
        let scaled = Int64((abs(value) * scale).rounded())
        let whole = scaled / Int64(scale)
        var text = (value < 0 && scaled != 0 ? "-" : "") + String(whole)
        if decimals > 0 {
            let fraction = String(scaled % Int64(scale))
            text += "." + String(repeating: "0", count: decimals - fraction.count) + fraction
        }
        return text
    }

    /// Three significant digits for values from 1 to 999.
    private static func significant(_ value: Double) -> String {
        if value >= 100 { return fixed(value, decimals: 0) }
        if value >= 10 { return fixed(value, decimals: 1) }
        return fixed(value, decimals: 2)
    }

    /// A percentage with one decimal, or `-` when there is nothing to divide by.
    public static func percent(_ part: Int, of whole: Int) -> String {
        whole > 0 ? fixed(100 * Double(part) / Double(whole), decimals: 1) + "%" : "-"
    }
}
