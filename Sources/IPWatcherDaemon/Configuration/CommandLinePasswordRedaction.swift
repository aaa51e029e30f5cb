/// Finds the passwords in a command-line argument that holds a Redis URL, and gives the text to write over it.
///
/// `ps`, `/proc/<pid>/cmdline` and `systemctl status` show a process's arguments to every local user, so a
/// password passed as `--redis-url redis://user:secret@host` would be readable by all of them. The tool overwrites
/// such arguments in place at start; this type decides the new bytes. Passwords are found as
/// ``IPWatcherConfiguration/redactedURL(_:)`` finds them — after the first `:` of the user info, which ends at the
/// last `@`, and in `password=` query options — anywhere after a `://`, so `--redis-url=redis://…` is covered too.
public enum CommandLinePasswordRedaction {
    /// The bytes to write over `argument`, or nil when it holds no password.
    ///
    /// Each password becomes `***` (fewer stars for a shorter one), so the result is never longer than the
    /// argument and fits in its place; the caller pads the rest with NUL bytes.
    public static func redacted(_ argument: [UInt8]) -> [UInt8]? {
        let hidden = passwordRanges(in: argument)
        guard !hidden.isEmpty else { return nil }
        var result: [UInt8] = []
        result.reserveCapacity(argument.count)
        var position = 0
        for range in hidden {
            result += argument[position..<range.lowerBound]
            result += repeatElement(UInt8(ascii: "*"), count: min(3, range.count))
            position = range.upperBound
        }
        result += argument[position...]
        return result
    }

    /// The non-empty byte ranges of `argument` that are passwords, in order.
    static func passwordRanges(in argument: [UInt8]) -> [Range<Int>] {
        guard let schemeEnd = argument.firstRange(of: Array("://".utf8)) else { return [] }
        var ranges: [Range<Int>] = []
        var rest = schemeEnd.upperBound
        if let at = argument[rest...].lastIndex(of: UInt8(ascii: "@")) {
            if let colon = argument[rest..<at].firstIndex(of: UInt8(ascii: ":")) {
                ranges.append((colon + 1)..<at)
            }
            rest = at
        }
        if let questionMark = argument[rest...].firstIndex(of: UInt8(ascii: "?")) {
            let key = Array("password=".utf8)
            var start = questionMark + 1
            while start < argument.count {
                let end = argument[start...].firstIndex(of: UInt8(ascii: "&")) ?? argument.count
                if argument[start..<end].starts(with: key) { ranges.append((start + key.count)..<end) }
                start = end + 1
            }
        }
        return ranges.filter { !$0.isEmpty }
    }
}
