import Detection
import NIOCore
import RESP

/// What both poppers send with every pop — the end of the list, the batch size, the block time — and how they
/// read what comes back.
///
/// ``QueuePopper`` and ``ProcessingQueuePopper`` differ in where a batch goes, not in how it is asked for: both cut
/// over-long entries in Redis (``cutFunction(cutArgument:)``), block on one shard of several for at most
/// ``shardedBlockLimit``, and check that a reply holds no more entries than were asked for.
struct PopArguments: Sendable {
    /// Which end of the queue list is popped.
    let side: WorkerSettings.PopSide
    /// Most entries taken per pop.
    let batchSize: Int
    /// How long one blocking pop waits: the configured time, at most ``shardedBlockLimit`` on a sharded queue.
    let blockTimeout: Duration
    /// ``blockTimeout`` in seconds as Redis reads it (decimals allowed since Redis 6), at least 1 ms.
    let blockTimeoutArgument: String

    /// The longest block on one shard of several, so entries arriving in the others wait no longer than this.
    static let shardedBlockLimit: Duration = .milliseconds(100)

    /// What an over-long entry is cut to: one byte over the parser's limit, so it is still refused as too long,
    /// and its dead-letter copy shows how it starts.
    static let cutLength = QueueEntryParser.maximumLength + 1

    /// The arguments `settings` asks for.
    init(settings: WorkerSettings) {
        self.side = settings.popSide
        self.batchSize = settings.batchSize
        self.blockTimeout =
            settings.queueShards > 1 ? min(settings.blockTimeout, Self.shardedBlockLimit) : settings.blockTimeout
        let parts = blockTimeout.components
        let milliseconds = parts.seconds * 1000 + parts.attoseconds / 1_000_000_000_000_000
        self.blockTimeoutArgument = "\(Double(max(milliseconds, 1)) / 1000)"
    }

    /// The popped end as Redis names it: `LEFT` or `RIGHT`.
    var end: String { side == .left ? "LEFT" : "RIGHT" }

    /// Lua that cuts every string of the table `entries` longer than ARGV[cutArgument] bytes down to that length.
    static func cutFunction(cutArgument: Int) -> String {
        """
        local cut = tonumber(ARGV[\(cutArgument)])
        local function cutLong(entries)
            for i = 1, #entries do
                if #entries[i] > cut then entries[i] = string.sub(entries[i], 1, cut) end
            end
            return entries
        end
        """
    }

    /// The bulk strings of `list` as slices, checked to be at most a batch of them since a pop of a batch cannot
    /// return more; a non-string element becomes an empty entry, which is rejected.
    func payloads(of list: RESPToken.Array, command: @autoclosure () -> String) throws(ReplySizeError)
        -> [ByteBuffer]
    {
        try ReplySizeError.check(list.count, limit: batchSize, command: command())
        return Self.payloads(of: list)
    }

    /// The bulk strings of `list` as slices; a non-string element becomes an empty entry, which is rejected.
    static func payloads(of list: RESPToken.Array) -> [ByteBuffer] {
        var entries: [ByteBuffer] = []
        entries.reserveCapacity(list.count)
        for element in list {
            entries.append(element.bytes ?? ByteBuffer())
        }
        return entries
    }
}
