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

    private struct Message: Decodable {
        var event: String
        var unit: String
        var count: Int
        var window: Int
        var mode: String
        var expires_at: Int64?
        var at: Int64
        var dry_run: Bool?
    }

    /// Decodes a message from the events channel; nil for anything that is not a block event.
    public init?(json: String) {
        guard let message = try? JSONDecoder().decode(Message.self, from: Data(json.utf8)), message.event == "block"
        else { return nil }
        self.init(
            unit: message.unit, count: message.count, window: message.window, mode: message.mode,
            expiresAt: message.expires_at, at: message.at, dryRun: message.dry_run ?? false)
    }
}
