/// The queue entry format: an address, optionally followed by ONE space and the event time in Unix milliseconds.
///
/// Examples: `203.0.113.7`, `2001:db8::1 1718000000123`. The format is strict — no surrounding whitespace,
/// no brackets, no port — because producers are our own middleware and anything else signals a bug or an
/// attacker. Checks run in a fixed order so each entry gets one well-defined reason: empty, too long,
/// control character, non-ASCII (as not an address), address, timestamp.
public enum QueueEntryParser {
    /// The longest entry considered at all; longer ones are refused unread.
    public static let maximumLength = 256

    /// The most digits a timestamp may have: enough for millisecond times for the next 300,000 years.
    public static let maximumTimestampDigits = 16

    /// Parses one entry from its raw bytes, without allocating.
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> Result<QueueEntry, EntryRejection> {
        let count = bytes.count
        guard count > 0 else { return .failure(.empty) }
        guard count <= maximumLength else { return .failure(.tooLong) }
        var space = -1
        var nonASCII = false
        for index in 0..<count {
            let byte = bytes[index]
            if byte < ASCII.space || byte == ASCII.delete { return .failure(.controlCharacter) }
            if byte >= 0x80 { nonASCII = true }
            if byte == ASCII.space, space < 0 { space = index }
        }
        guard !nonASCII else { return .failure(.notAnAddress) }
        let addressEnd = space < 0 ? count : space
        guard let address = IPAddress.parse(UnsafeRawBufferPointer(rebasing: bytes[0..<addressEnd])) else {
            return .failure(.notAnAddress)
        }
        guard space >= 0 else { return .success(QueueEntry(address: address, eventTimeMilliseconds: nil)) }
        let digitsStart = space + 1
        let digitCount = count - digitsStart
        guard digitCount >= 1, digitCount <= maximumTimestampDigits else { return .failure(.badTimestamp) }
        // Sixteen digits stay below 10^16, far from Int64's limit, so the sum cannot overflow.
        var time: Int64 = 0
        for index in digitsStart..<count {
            let digit = bytes[index] &- ASCII.zero
            guard digit <= 9 else { return .failure(.badTimestamp) }
            time = time * 10 + Int64(digit)
        }
        return .success(QueueEntry(address: address, eventTimeMilliseconds: time))
    }

    /// Parses one entry from text; a convenience for tests and the command-line tool.
    public static func parse(_ text: String) -> Result<QueueEntry, EntryRejection> {
        var text = text
        return text.withUTF8 { parse(UnsafeRawBufferPointer($0)) }
    }
}
