/// A reply that holds more elements than the command that asked for it can return.
///
/// Redis never sends one, so it means a broken server or something else answering on its port. The reply is not
/// acted on: nothing is counted, logged per element or unblocked from it.
public struct OversizedReplyError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What was asked, e.g. `ban-expiry script`.
    public var command: String
    /// How many elements the reply held.
    public var count: Int
    /// The most the command can return.
    public var limit: Int

    /// Creates the error for a reply to `command` with `count` elements where at most `limit` can come.
    public init(command: String, count: Int, limit: Int) {
        self.command = command
        self.count = count
        self.limit = limit
    }

    public var description: String {
        "the reply to the \(command) holds \(count) elements, but it can return at most \(limit); the reply is ignored"
    }

    /// Throws when `count` is over `limit`.
    static func check(_ count: Int, limit: Int, command: @autoclosure () -> String) throws(OversizedReplyError) {
        if count > limit { throw OversizedReplyError(command: command(), count: count, limit: limit) }
    }
}
