import Synchronization

/// Which queue shard a worker tries first on its next pop, so every shard gets its turn.
///
/// The cursor moves past a shard only once a pop from it had a definite result (a batch, or nothing there); after
/// a failed attempt it stays, so the retry goes to the same shard first — with at-least-once delivery that is what
/// lets a retried move find the batch its lost reply had taken, under the same name in the same hash.
final class ShardCursor: Sendable {
    /// How many shards there are.
    let count: Int
    private let position = Mutex(0)

    /// A cursor over `count` shards, starting at shard 0.
    init(count: Int) {
        self.count = count
    }

    /// The shard indexes of one round, starting at the cursor.
    var round: [Int] {
        let start = position.withLock { $0 }
        return (0..<count).map { (start + $0) % count }
    }

    /// The shard the cursor is at.
    var current: Int { position.withLock { $0 } }

    /// Records that shard `index` is being tried now.
    func trying(_ index: Int) {
        position.withLock { $0 = index }
    }

    /// Records a definite result from shard `index`: the next pop starts at the shard after it.
    func settled(_ index: Int) {
        position.withLock { $0 = (index + 1) % count }
    }
}
