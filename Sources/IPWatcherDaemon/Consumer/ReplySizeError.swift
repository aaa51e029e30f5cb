/// A reply that holds a number of elements the command that asked for it cannot return: more than a pop or the
/// ban-expiry script can, or other than exactly what a counter call's units need.
///
/// Redis never sends one, so it means a broken server or something else answering on its port. The reply is not
/// acted on: nothing is counted, logged per element or unblocked from it. A counter call's batch is written again
/// instead, which adds nothing twice (see ``BatchWriteProgress``).
public struct ReplySizeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// How many elements the command can return.
    public enum Allowed: Sendable, Hashable {
        /// Up to this many: a pop of a batch, a script that returns at most a chunk.
        case atMost(Int)
        /// Exactly this many: a counter call's values for its units.
        case exactly(Int)
    }

    /// What was asked, e.g. `ban-expiry script` or `counter call 2`.
    public var command: String
    /// How many elements the reply held.
    public var count: Int
    /// How many it may hold.
    public var allowed: Allowed

    public var description: String {
        switch allowed {
        case .atMost(let limit):
            "the reply to the \(command) holds \(count) elements, but it can return at most \(limit); the reply is ignored"
        case .exactly(let expected):
            "the reply to \(command) holds \(count) values where its units need \(expected); the counters are written again"
        }
    }

    /// Throws when `count` is over `limit`.
    static func check(_ count: Int, limit: Int, command: @autoclosure () -> String) throws(ReplySizeError) {
        if count > limit { throw ReplySizeError(command: command(), count: count, allowed: .atMost(limit)) }
    }
}
