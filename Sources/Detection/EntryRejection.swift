/// Why a queue entry was refused.
///
/// The raw values are stable snake_case names for logs, metrics labels and statistics keys. An `Error` so
/// it can be the failure of a `Result`.
public enum EntryRejection: String, Error, Sendable, CaseIterable, Hashable {
    /// The entry had no bytes.
    case empty
    /// The entry was longer than ``QueueEntryParser/maximumLength``; refused before it is even scanned.
    case tooLong = "too_long"
    /// The entry held a byte below 0x20 or DEL (0x7F), such as a newline that could forge log lines.
    case controlCharacter = "control_character"
    /// The entry (or the part before its space) is not an address, or holds non-ASCII bytes.
    case notAnAddress = "not_an_address"
    /// The address is valid but what follows it is not exactly one space and 1–16 digits.
    case badTimestamp = "bad_timestamp"
    /// The event time is too far ahead of the worker's clock to be trusted; decided with ``EventClock``,
    /// not by the parser.
    case future
}
