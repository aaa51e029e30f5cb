import Detection

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
}
