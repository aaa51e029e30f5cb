import Foundation

/// A block announced by the worker on its events channel.
///
/// The worker publishes `{"event":"block","unit":…,"count":…,"window":…,"mode":…,"expires_at":…,"at":…,
/// "dry_run":…}` once per new block; see `BlocklistWriter` in the daemon.
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

    /// Creates an event.
    public init(
        unit: String, count: Int, window: Int, mode: String, expiresAt: Int64? = nil, at: Int64, dryRun: Bool = false
    ) {
        self.unit = unit
        self.count = count
        self.window = window
        self.mode = mode
        self.expiresAt = expiresAt
        self.at = at
        self.dryRun = dryRun
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

    /// Decodes the fields; `dry_run` may be missing (workers before dry runs did not send it) and reads as false.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            unit: try container.decode(String.self, forKey: .unit), count: try container.decode(Int.self, forKey: .count),
            window: try container.decode(Int.self, forKey: .window), mode: try container.decode(String.self, forKey: .mode),
            expiresAt: try container.decodeIfPresent(Int64.self, forKey: .expiresAt),
            at: try container.decode(Int64.self, forKey: .at),
            dryRun: try container.decodeIfPresent(Bool.self, forKey: .dryRun) ?? false)
    }
}
