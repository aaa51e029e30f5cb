/// A counter script's reply that does not hold one count (fixed) or one before/after pair (rolling) for each unit
/// its call sent.
///
/// Redis never sends one, so it means a broken server or something else answering on its port. Acting on it
/// would give counts to the wrong units or none to some, so the batch's counters are written again instead; a
/// repeated call adds nothing twice (see ``BatchWriteProgress``).
public struct CounterReplyError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Which call of the batch, from 0.
    public var call: Int
    /// Values the reply held.
    public var count: Int
    /// Values the call's units need.
    public var expected: Int

    /// Creates the error for call `call`, whose reply held `count` values where `expected` were due.
    public init(call: Int, count: Int, expected: Int) {
        self.call = call
        self.count = count
        self.expected = expected
    }

    public var description: String {
        "the reply to counter call \(call) holds \(count) values where its units need \(expected); the counters are written again"
    }
}
