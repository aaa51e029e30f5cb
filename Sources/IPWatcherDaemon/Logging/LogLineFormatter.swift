#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging

/// Formats one log event as one line: `2026-01-02T03:04:05.678Z notice ipwatcher: message key="value" …`.
///
/// Messages and metadata carry text from Redis and from producers (queue entries, blocklist members), which may
/// hold quotes, spaces and line breaks. Every value is therefore quoted with `"`, `\`, and control characters
/// escaped, and the message has its control characters and backslashes escaped, so one event is always one line
/// and no value can pass for another key. swift-log's `StreamLogHandler` prints values bare, which allowed both.
public enum LogLineFormatter {
    /// The line for an event, without the trailing line feed; metadata sorted by key.
    ///
    /// - Parameter timestampMilliseconds: Unix milliseconds, printed in UTC.
    public static func line(
        timestampMilliseconds: Int64, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata
    ) -> String {
        var line = timestamp(timestampMilliseconds)
        line += " "
        appendUntimed(level: level, label: label, message: message, metadata: metadata, to: &line)
        return line
    }

    /// ``line(timestampMilliseconds:level:label:message:metadata:)`` without the timestamp: `notice ipwatcher: …`.
    static func untimedLine(level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) -> String {
        var line = ""
        appendUntimed(level: level, label: label, message: message, metadata: metadata, to: &line)
        return line
    }

    private static func appendUntimed(
        level: Logger.Level, label: String, message: String, metadata: Logger.Metadata, to line: inout String
    ) {
        line.reserveCapacity(line.utf8.count + 72 + message.utf8.count)
        line += "\(level.rawValue) "
        appendEscaped(label, to: &line, escapingQuotes: false)
        line += ": "
        appendEscaped(message, to: &line, escapingQuotes: false)
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            line += " "
            appendKey(key, to: &line)
            line += "=\""
            appendEscaped(value.description, to: &line, escapingQuotes: true)
            line += "\""
        }
    }

    /// `text` with backslashes, control characters, U+2028/U+2029 (and double quotes when `escapingQuotes`)
    /// escaped as `\\`, `\n`, `\r`, `\t`, `\"` and `\u{1b}`.
    public static func escaped(_ text: String, escapingQuotes: Bool = true) -> String {
        var result = ""
        appendEscaped(text, to: &result, escapingQuotes: escapingQuotes)
        return result
    }

    /// ISO 8601 in UTC with milliseconds, as journald and log shippers read it.
    public static func timestamp(_ milliseconds: Int64) -> String {
        var seconds = time_t(milliseconds.dividedRoundingDown(by: 1000))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let fraction = Int(milliseconds - Int64(seconds) * 1000)
        return "\(parts.tm_year + 1900)-\(twoDigits(parts.tm_mon + 1))-\(twoDigits(parts.tm_mday))T"
            + "\(twoDigits(parts.tm_hour)):\(twoDigits(parts.tm_min)):\(twoDigits(parts.tm_sec))."
            + (fraction < 10 ? "00" : fraction < 100 ? "0" : "") + "\(fraction)Z"
    }

    private static func twoDigits(_ value: Int32) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }

    /// Keys are chosen in code, but a key with a space or `=` would still break the line's shape.
    private static func appendKey(_ key: String, to line: inout String) {
        for scalar in key.unicodeScalars {
            let isPlain =
                ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
                || scalar == "_" || scalar == "." || scalar == "-"
            line.unicodeScalars.append(isPlain ? scalar : "_")
        }
    }

    private static func appendEscaped(_ text: String, to line: inout String, escapingQuotes: Bool) {
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": line += "\\\\"
            case "\"" where escapingQuotes: line += "\\\""
            case "\n": line += "\\n"
            case "\r": line += "\\r"
            case "\t": line += "\\t"
            default:
                if scalar.properties.generalCategory == .control || scalar == "\u{2028}" || scalar == "\u{2029}" {
                    line += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    line.unicodeScalars.append(scalar)
                }
            }
        }
    }
}

extension Int64 {
    /// Floor division, so times before the epoch still get a fraction from 0 to 999.
    fileprivate func dividedRoundingDown(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return self % divisor < 0 ? quotient - 1 : quotient
    }
}
