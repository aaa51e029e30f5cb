import Detection

extension WorkerSettings {
    /// The queue's shards: ``queueKey`` alone, or `<queueKey>:{0}` … with ``queueShards`` above 1.
    public var shards: QueueShards { QueueShards(baseKey: queueKey, count: queueShards) }

    /// The ban expiry set: `<prefix>bans`, or in a cluster `<prefix>bans:{<blocklist tag>}` in the blocklist's
    /// slot, because each ban writes both in one script.
    public var bansKey: String {
        clusterKeys ? keys.clusterBansKey(blocklistKey: blocklistKey) : keys.bansKey
    }

    /// Whether processing keys are per shard and tagged with the shard's slot.
    var processingKeysPerShard: Bool { clusterKeys || queueShards > 1 }

    /// This worker's processing hash for the shard `shardKey`: `<prefix>processing:<worker id>` for the one
    /// queue of a single server, else `<prefix>processing:<worker id>:{<shard tag>}`.
    public func processingKey(shardKey: String) -> String {
        processingKeysPerShard
            ? keys.processingKey(workerID: workerID, shardKey: shardKey) : keys.processingKey(workerID: workerID)
    }

    /// The landing list beside ``processingKey(shardKey:)``.
    public func landingKey(shardKey: String) -> String {
        processingKeysPerShard
            ? keys.landingKey(workerID: workerID, shardKey: shardKey) : keys.landingKey(workerID: workerID)
    }
}
