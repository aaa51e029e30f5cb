import Detection
import NIOCore

/// Sorts encoded queue entries by the shard ``QueueShards`` picks for them, one reused buffer per shard.
///
/// Each entry is encoded once into scratch space, its shard is read from the encoded address bytes (no String),
/// and the bytes are appended to that shard's buffer; ``drain(shard:into:)`` hands a shard's entries over as
/// the values of one `LPUSH` and empties the buffer, keeping its capacity.
package struct ShardedEntryBuffers {
    package let shards: QueueShards
    /// Every shard's key, computed once.
    package let keys: [String]
    /// Entries waiting in each shard's buffer.
    package private(set) var counts: [Int]
    private var buffers: [ByteBuffer]
    private var scratch = ByteBuffer()

    /// Empty buffers for every shard of `shards`.
    package init(shards: QueueShards) {
        self.shards = shards
        keys = shards.keys
        counts = Array(repeating: 0, count: shards.count)
        buffers = Array(repeating: ByteBuffer(), count: shards.count)
    }

    /// Encodes the entry of `address` (and `timeMilliseconds`) into its shard's buffer and returns the shard.
    package mutating func append(address: IPAddress, timeMilliseconds: Int64?) -> Int {
        scratch.clear()
        QueueEntryWriter.write(address: address, timeMilliseconds: timeMilliseconds, to: &scratch)
        let shards = self.shards
        let shard = scratch.withUnsafeReadableBytes { bytes -> Int in
            // `$<length>\r\n<payload>\r\n`: the payload starts after the first LF and ends before the last CRLF.
            guard let lineFeed = bytes.firstIndex(of: 0x0A), bytes.count >= lineFeed + 3 else { return 0 }
            return shards.shard(forEntry: bytes[(lineFeed + 1)..<(bytes.count - 2)])
        }
        buffers[shard].writeImmutableBuffer(scratch)
        counts[shard] += 1
        return shard
    }

    /// Passes the shard's entries to `body` as one argument list, then empties the shard.
    package mutating func drain(shard: Int, into body: (EncodedEntries) -> Void) {
        guard counts[shard] > 0 else { return }
        body(EncodedEntries(bytes: buffers[shard], count: counts[shard]))
        // After body: the entries' reference to the storage is gone, so clearing reuses it.
        buffers[shard].clear()
        counts[shard] = 0
    }
}
