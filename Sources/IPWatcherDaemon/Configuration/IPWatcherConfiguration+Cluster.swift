import Detection
import RedisClient

extension IPWatcherConfiguration {
    /// Refuses key names whose braces would put keys that must share a Redis Cluster slot into different ones.
    ///
    /// With a cluster or a sharded queue, the worker names its processing keys after each shard's hash tag and its
    /// ban expiry set after the blocklist's; a key prefix or queue key with braces of its own would move the tag.
    func checkClusterKeys() throws(ConfigurationError) {
        guard usesCluster || queue.shards > 1 else { return }
        let reason = usesCluster ? "with a Redis Cluster" : "with queue.shards above 1"
        if detection.keyPrefix.contains(where: { $0 == "{" || $0 == "}" }) {
            throw ConfigurationError.invalid(
                "detection.key_prefix", detection.keyPrefix, "must not contain { or } \(reason) (they set the hash slot)")
        }
        if queue.shards > 1, queue.key.contains(where: { $0 == "{" || $0 == "}" }) {
            throw ConfigurationError.invalid(
                "queue.key", queue.key, "must not contain { or } with queue.shards above 1 (each shard is <key>:{n})")
        }
        if usesCluster, !KeySchema.isTaggable(queue.key) {
            throw ConfigurationError.invalid(
                "queue.key", queue.key, "must not contain } outside a {hash tag} with a Redis Cluster")
        }
        if usesCluster, !KeySchema.isTaggable(blocklist.key) {
            throw ConfigurationError.invalid(
                "blocklist.key", blocklist.key, "must not contain } outside a {hash tag} with a Redis Cluster")
        }
    }

    /// Refuses range bans that could not work: a range no wider than a unit, or in a Redis Cluster a ranges set
    /// outside the blocklist's slot (the ban script writes both in one call).
    func checkRanges() throws(ConfigurationError) {
        let ranges = blocklist.ranges
        guard ranges.isOn else { return }
        if ranges.ipv4Prefix >= detection.ipv4Prefix {
            throw ConfigurationError.invalid(
                "blocklist.ranges.ipv4_prefix", String(ranges.ipv4Prefix),
                "must be shorter than detection.ipv4_prefix (\(detection.ipv4Prefix)): a range holds several units")
        }
        if ranges.ipv6Prefix >= detection.ipv6Prefix {
            throw ConfigurationError.invalid(
                "blocklist.ranges.ipv6_prefix", String(ranges.ipv6Prefix),
                "must be shorter than detection.ipv6_prefix (\(detection.ipv6Prefix)): a range holds several units")
        }
        if blocklist.rangesKey == blocklist.key {
            throw ConfigurationError.invalid("blocklist.ranges.key", blocklist.rangesKey, "must differ from blocklist.key")
        }
        if usesCluster, RedisHashSlot(key: blocklist.rangesKey) != RedisHashSlot(key: blocklist.key) {
            throw ConfigurationError.invalid(
                "blocklist.ranges.key", blocklist.rangesKey,
                "must be in blocklist.key's hash slot with a Redis Cluster: name it {\(KeySchema.hashTag(of: blocklist.key))}:ranges")
        }
    }
}
