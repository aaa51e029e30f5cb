import Foundation

/// A block announced by the worker on its events channel.
///
/// The worker publishes `{"event":"block","unit":…,"rule":…,"count":…,"window":…,"mode":…,"expires_at":…,"at":…,
/// "dry_run":…,"offence":…}` once per new block, and for a range ban `{"event":"block","unit":"<range>",
/// "range":true,…}` without count, window and mode; see `BlocklistWriter` in the daemon.
public struct BlockEvent: Sendable, Hashable, Codable {
    /// The blocked unit's canonical name.
    public var unit: String
    /// The unit's count in its window when it was blocked.
    public var count: Int
    /// The worker's window length in seconds.
    public var window: Int
    /// The worker's mode, `fixed` or `rolling`.
    public var mode: String
    /// When the ban ends (Unix ms); nil for a ban without end or a dry run.
    public var expiresAt: Int64?
    /// When the worker blocked the unit (Unix ms).
    public var at: Int64
    /// Whether the worker was in dry-run mode (nothing written to the blocklist).
    public var dryRun: Bool
    /// The rule that blocked (or announced) it; nil from workers before several rules.
    public var rule: String?
    /// The ban's offence number under escalation; nil with escalation off.
    public var offence: Int?
    /// Whether the unit is a banned range (`network/length`) rather than a unit.
    public var range: Bool

    /// Creates an event.
    public init(
        unit: String, count: Int, window: Int, mode: String, expiresAt: Int64? = nil, at: Int64, dryRun: Bool = false,
        rule: String? = nil, offence: Int? = nil, range: Bool = false
    ) {
        self.unit = unit
        self.count = count
        self.window = window
        self.mode = mode
        self.expiresAt = expiresAt
        self.at = at
        self.dryRun = dryRun
        self.rule = rule
        self.offence = offence
        self.range = range
    }

    /// The one field of a channel message that says what it is.
    private struct Envelope: Decodable {
        var event: String
    }

    /// Decodes a message from the events channel; nil for anything that is not a block event.
    public init?(json: String) {
        let data = Data(json.utf8)
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        guard (try? decoder.decode(Envelope.self, from: data))?.event == "block",
              let event = try? decoder.decode(BlockEvent.self, from: data)
        else { return nil }
        self = event
    }

    /// Decodes the fields; `dry_run` may be missing (workers before dry runs did not send it) and reads as false,
    /// and a range ban's missing count, window and mode read as 0, 0 and "".
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let range = try container.decodeIfPresent(Bool.self, forKey: .range) ?? false
        func required<T: Decodable>(_ type: T.Type, _ key: CodingKeys, rangeDefault: T) throws -> T {
            if range, let value = try container.decodeIfPresent(type, forKey: key) { return value }
            return range ? rangeDefault : try container.decode(type, forKey: key)
        }
        self.init(
            unit: try container.decode(String.self, forKey: .unit), count: try required(Int.self, .count, rangeDefault: 0),
            window: try required(Int.self, .window, rangeDefault: 0), mode: try required(String.self, .mode, rangeDefault: ""),
            expiresAt: try container.decodeIfPresent(Int64.self, forKey: .expiresAt),
            at: try container.decode(Int64.self, forKey: .at),
            dryRun: try container.decodeIfPresent(Bool.self, forKey: .dryRun) ?? false,
            rule: try container.decodeIfPresent(String.self, forKey: .rule),
            offence: try container.decodeIfPresent(Int.self, forKey: .offence), range: range)
    }
}
