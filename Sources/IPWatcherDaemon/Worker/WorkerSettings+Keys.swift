import Detection

extension WorkerSettings {
    /// The queue's shards: ``queueKey`` alone, or `<queueKey>:{0}` … with ``queueShards`` above 1.
    public var shards: QueueShards { QueueShards(baseKey: queueKey, count: queueShards) }

    /// The ban expiry set: `<prefix>bans`, or in a cluster `<prefix>bans:{<blocklist tag>}` in the blocklist's
    /// slot, because each ban writes both in one script.
    public var bansKey: String {
        clusterKeys ? keys.clusterBansKey(blocklistKey: blocklistKey) : keys.bansKey
    }

    /// The hash of ban details (rule, start, offence): `<prefix>bans:info`, in a cluster tagged like ``bansKey``.
    public var banInfoKey: String {
        clusterKeys ? keys.clusterBanInfoKey(blocklistKey: blocklistKey) : keys.banInfoKey
    }

    /// The offence count of `unitName` under ban escalation, in a cluster in the blocklist's slot.
    public func offenceKey(unitName: String) -> String {
        clusterKeys
            ? keys.clusterOffenceKey(unitName: unitName, blocklistKey: blocklistKey) : keys.offenceKey(unitName: unitName)
    }

    /// The expiry index of range bans, in a cluster in the blocklist's slot.
    public var rangeBansKey: String {
        clusterKeys ? keys.clusterRangeBansKey(blocklistKey: blocklistKey) : keys.rangeBansKey
    }

    /// The units banned now inside `rangeName`, in a cluster in the blocklist's slot.
    public func rangeUnitsKey(rangeName: String) -> String {
        clusterKeys
            ? keys.clusterRangeUnitsKey(rangeName: rangeName, blocklistKey: blocklistKey)
            : keys.rangeUnitsKey(rangeName: rangeName)
    }

    /// The range `unit` would be banned with, as `network/length`: nil when range bans are off, the unit is not
    /// narrower than a range, or the range overlaps `allowlist` (its ban would refuse allowlisted clients).
    public func rangeName(of unit: DetectionUnit, allowlist: [IPNetwork]) -> String? {
        guard ranges.isOn, let range = ranges.range(of: unit), !RangeBanPolicy.overlaps(range, allowlist) else {
            return nil
        }
        return range.description
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
