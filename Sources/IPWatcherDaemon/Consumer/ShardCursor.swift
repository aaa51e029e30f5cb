import Synchronization

/// Which queue shard a worker tries first on its next pop, so every shard gets its turn.
///
/// The cursor moves past each shard a pop has asked, whatever the outcome — a batch, nothing there, or a
/// failure — so a shard that keeps failing is tried last, not first, and never holds up the others.
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

    /// Records that shard `index` was asked: the next pop starts at the shard after it.
    func settled(_ index: Int) {
        position.withLock { $0 = (index + 1) % count }
    }

    /// Asks the shards of one round, from the cursor on, until one gives a result, moving the cursor past each.
    ///
    /// A shard whose `ask` throws (its master is failing over, its slot is migrating) is passed over, so one
    /// unavailable shard never stops the others. Returns nil when every shard answered with nothing; throws the
    /// last failure when none gave a result and one failed, so the caller pauses before the next round.
    func firstResult<Result>(_ ask: (_ shard: Int) async throws -> Result?) async throws -> Result? {
        var failure: (any Error)?
        for shard in round {
            defer { settled(shard) }
            do {
                if let result = try await ask(shard) { return result }
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        return nil
    }
}
