import RedisClient

/// Redis refused part of a batch's writes for a reason that retrying cannot fix by itself: a key of the wrong
/// type (`WRONGTYPE`), a missing ACL permission (`NOPERM`), memory full (`OOM`), or any other error that is not
/// one of ``RedisServerError/transientCodes``.
///
/// The batch is kept — in hand, and with at-least-once delivery in the processing hash — and the refused step
/// alone is tried again until the operator removes the cause; the steps that succeeded are not repeated.
public struct BatchWriteRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    /// Which write of the batch was refused.
    public enum Step: String, Sendable, Hashable, CaseIterable {
        /// The window counters.
        case counters
        /// Adding units to the blocklist set and its expiry index.
        case blocklist
        /// Block events of a dry run.
        case events
        /// The dead-letter list of rejected entries (`queue.rejected_key`).
        case deadLetters = "dead_letters"
    }

    /// The write that was refused.
    public var step: Step
    /// The key (or channel) Redis named or the write was for, so the operator knows what to look at.
    public var key: String
    /// Redis's own error.
    public var error: RedisServerError

    public var description: String {
        "Redis refuses the \(step.label) write to \(key): \(error.message)"
    }
}

extension BatchWriteRefusal {
    /// A refusal of `step` from a script error reply that names its key as `… (key <name>)` at the end of the
    /// message, as the worker's scripts do; `fallbackKey` when it names none.
    init(step: Step, scriptError error: RedisServerError, fallbackKey: String) {
        self.init(step: step, key: Self.namedKey(in: error.message) ?? fallbackKey, error: error)
    }

    /// The `<name>` of a message ending in ` (key <name>)`.
    static func namedKey(in message: String) -> String? {
        let marker = " (key "
        guard message.hasSuffix(")") else { return nil }
        var start = message.endIndex
        while start > message.startIndex {
            start = message.index(before: start)
            if message[start...].hasPrefix(marker) {
                let name = message[message.index(start, offsetBy: marker.count)..<message.index(before: message.endIndex)]
                return name.isEmpty ? nil : String(name)
            }
        }
        return nil
    }
}

extension BatchWriteRefusal.Step {
    /// The step in words, for log lines and `/healthz`.
    public var label: String {
        switch self {
        case .counters: "counter"
        case .blocklist: "blocklist"
        case .events: "event"
        case .deadLetters: "dead-letter"
        }
    }
}
