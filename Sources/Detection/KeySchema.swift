/// Names of every Redis key the worker creates (all start with the prefix), so no entry can make it touch another key.
///
/// Unit names are canonical address text, which never contains spaces or glob characters, so a key built
/// from one stays inside the prefix's namespace whatever the queue held.
public struct KeySchema: Hashable, Sendable {
    /// Put in front of every key; ends in a separator so `SCAN prefix*` finds exactly the worker's keys.
    public var prefix: String

    /// Creates a schema; the default prefix is `ipwatcher:`.
    public init(prefix: String = "ipwatcher:") {
        self.prefix = prefix
    }

    /// The counter of one unit in one fixed window: `<prefix>fixed:<windowSeconds>:<windowIndex>:<unit>`.
    ///
    /// The window length is part of the key, so changing it on reload starts fresh counters instead of
    /// reading windows of another size.
    public func fixedCounterKey(unitName: String, windowSeconds: Int, windowIndex: Int64) -> String {
        fixedCounterKeyPrefix(windowSeconds: windowSeconds, windowIndex: windowIndex) + unitName
    }

    /// Everything of ``fixedCounterKey(unitName:windowSeconds:windowIndex:)`` before the unit name, for
    /// callers that append the name's bytes themselves (``DetectionUnit/withName(_:)``).
    public func fixedCounterKeyPrefix(windowSeconds: Int, windowIndex: Int64) -> String {
        "\(prefix)fixed:\(windowSeconds):\(windowIndex):"
    }

    /// One of a fixed window's counter hashes under ``CounterLayout/buckets(count:)``:
    /// `<prefix>buckets:<windowSeconds>:<windowIndex>:{<bucket>}`, field = unit name, value = the unit's count.
    ///
    /// The bucket number is the key's hash tag, so in a Redis Cluster a hash lives wholly on one node and the
    /// same bucket of every window shares its slot; the buckets of a window spread over the slots.
    public func bucketKey(windowSeconds: Int, windowIndex: Int64, bucket: Int) -> String {
        bucketKeyPrefix(windowSeconds: windowSeconds, windowIndex: windowIndex) + "{\(bucket)}"
    }

    /// Everything of ``bucketKey(windowSeconds:windowIndex:bucket:)`` before the bucket's tag.
    public func bucketKeyPrefix(windowSeconds: Int, windowIndex: Int64) -> String {
        "\(prefix)buckets:\(windowSeconds):\(windowIndex):"
    }

    /// What every counter hash of a window length starts with: `<prefix>buckets:<windowSeconds>:`.
    public func bucketKeyPrefix(windowSeconds: Int) -> String { "\(prefix)buckets:\(windowSeconds):" }

    /// One unit's event times in a rolling window (a ``RollingEventLog`` string, or a sorted set for caps above its
    /// limit): `<prefix>rolling:<windowSeconds>:<unit>`.
    ///
    /// The window is part of the key, as in fixed mode, so rolling rules with different windows keep separate
    /// sets (each trimmed to its own window and capped at its own threshold).
    public func rollingKey(unitName: String, windowSeconds: Int) -> String {
        rollingKeyPrefix(windowSeconds: windowSeconds) + unitName
    }

    /// Everything of ``rollingKey(unitName:windowSeconds:)`` before the unit name.
    public func rollingKeyPrefix(windowSeconds: Int) -> String { "\(prefix)rolling:\(windowSeconds):" }

    /// What every rolling key starts with, whatever its window: `<prefix>rolling:`.
    public var rollingKeyPrefix: String { "\(prefix)rolling:" }

    /// The marker that one chunk of one batch's fixed-window counters was applied:
    /// `<prefix>applied:<batch tag>:<chunk>`.
    ///
    /// The counter script sets it atomically with the increments, so a call repeated after a lost reply finds
    /// it and adds nothing a second time. It expires with the chunk's counters.
    public func appliedKey(batchTag: String, chunk: Int) -> String {
        "\(prefix)applied:\(batchTag):\(chunk)"
    }

    /// The marker of ``appliedKey(batchTag:chunk:)`` for one counter in a Redis Cluster, where each counter is
    /// updated by a call of its own: `<prefix>applied:{<counter key>}:<batch tag>`, in the counter's slot.
    ///
    /// Counter keys hold no braces (the prefix is refused with them, unit names are address text), so the
    /// whole counter key is the hash tag.
    public func appliedKey(counterKey: String, batchTag: String) -> String {
        "\(prefix)applied:{\(counterKey)}:\(batchTag)"
    }

    /// The marker of ``appliedKey(batchTag:chunk:)`` for one unit's counter hash in a Redis Cluster:
    /// `<prefix>applied:{<bucket>}:<batch tag>:<unit>`, in the hash's slot. A hash holds many units, so the unit is
    /// part of the name: two units of one bucket in one batch are two calls with a marker each.
    public func appliedKey(bucket: Int, batchTag: String, unitName: String) -> String {
        "\(prefix)applied:{\(bucket)}:\(batchTag):\(unitName)"
    }

    /// The sorted set of banned units scored by ban expiry time: `<prefix>bans`.
    public var bansKey: String { "\(prefix)bans" }

    /// The hash of what the worker knows about each ban it made: `<prefix>bans:info`, field = unit, value = JSON
    /// `{"rule":…,"since":…,"offence":…}`; removed with the ban. `blocklist explain` reads it.
    public var banInfoKey: String { "\(prefix)bans:info" }

    /// ``banInfoKey`` in a Redis Cluster: `<prefix>bans:info:{<hash tag of the blocklist key>}`, in the
    /// blocklist's slot, since the ban script writes both.
    public func clusterBanInfoKey(blocklistKey: String) -> String {
        "\(prefix)bans:info:{\(Self.hashTag(of: blocklistKey))}"
    }

    /// A unit's offence count under ban escalation: `<prefix>offences:<unit>`, expiring some time after its
    /// latest ban ends (see ``BanEscalation``).
    public func offenceKey(unitName: String) -> String { "\(prefix)offences:\(unitName)" }

    /// ``offenceKey(unitName:)`` in a Redis Cluster: `<prefix>offences:{<hash tag of the blocklist key>}:<unit>`.
    public func clusterOffenceKey(unitName: String, blocklistKey: String) -> String {
        "\(prefix)offences:{\(Self.hashTag(of: blocklistKey))}:\(unitName)"
    }

    /// The sorted set of banned ranges scored by ban expiry time: `<prefix>bans:ranges` (see ``RangeBanPolicy``).
    public var rangeBansKey: String { "\(prefix)bans:ranges" }

    /// ``rangeBansKey`` in a Redis Cluster: `<prefix>bans:ranges:{<hash tag of the blocklist key>}`.
    public func clusterRangeBansKey(blocklistKey: String) -> String {
        "\(prefix)bans:ranges:{\(Self.hashTag(of: blocklistKey))}"
    }

    /// The units banned now inside one range, scored by when each ban ends: `<prefix>range:<network/length>`.
    /// The ban script counts them to decide whether the range is banned.
    public func rangeUnitsKey(rangeName: String) -> String { "\(prefix)range:\(rangeName)" }

    /// ``rangeUnitsKey(rangeName:)`` in a Redis Cluster: `<prefix>range:{<hash tag of the blocklist key>}:<range>`.
    public func clusterRangeUnitsKey(rangeName: String, blocklistKey: String) -> String {
        "\(prefix)range:{\(Self.hashTag(of: blocklistKey))}:\(rangeName)"
    }

    /// One worker's unfinished batches: `<prefix>processing:<workerID>`, a hash from batch name to the batch's
    /// entries (a MessagePack array).
    ///
    /// With at-least-once delivery every popped batch is a field here until its counts are written; a
    /// restarted worker finds what it had in hand. A batch name is chosen by the worker before the pop, so a
    /// pop retried after a lost reply finds the same field instead of taking a second batch.
    public func processingKey(workerID: String) -> String {
        "\(prefix)processing:\(workerID)"
    }

    /// The list a worker's blocking move (`BLMOVE`) drops the first entry into when the queue was empty:
    /// `<prefix>processing:<workerID>:landing`. The next batch takes it from there.
    public func landingKey(workerID: String) -> String {
        "\(prefix)processing:\(workerID):landing"
    }

    /// The ban expiry set for `blocklistKey` in a Redis Cluster: `<prefix>bans:{<hash tag of the blocklist key>}`,
    /// in the blocklist's slot, since every ban writes both in one script. A single server uses ``bansKey``.
    public func clusterBansKey(blocklistKey: String) -> String {
        "\(prefix)bans:{\(Self.hashTag(of: blocklistKey))}"
    }

    /// A worker's processing hash for one queue shard in a Redis Cluster, or for one of several shards:
    /// `<prefix>processing:<workerID>:{<hash tag of the shard's key>}`, in the shard's slot, since the move
    /// script touches both.
    public func processingKey(workerID: String, shardKey: String) -> String {
        "\(prefix)processing:\(workerID):{\(Self.hashTag(of: shardKey))}"
    }

    /// The landing list beside ``processingKey(workerID:shardKey:)``: that key followed by `:landing`.
    public func landingKey(workerID: String, shardKey: String) -> String {
        processingKey(workerID: workerID, shardKey: shardKey) + ":landing"
    }

    /// The part of `key` Redis Cluster hashes: the text between the first `{` and the next `}` when that is not
    /// empty, else the whole key. A key built as `…{<this>}…` lands in the same slot as `key` unless the part
    /// itself contains `}` (see ``isTaggable(_:)``).
    public static func hashTag(of key: String) -> Substring {
        if let open = key.firstIndex(of: "{") {
            let afterOpen = key.index(after: open)
            if let close = key[afterOpen...].firstIndex(of: "}"), close > afterOpen {
                return key[afterOpen..<close]
            }
        }
        return key[...]
    }

    /// Whether keys built around ``hashTag(of:)`` of `key` share its slot: false when that part contains `}`.
    public static func isTaggable(_ key: String) -> Bool {
        !hashTag(of: key).contains("}")
    }

    /// The hash of worker leases: `<prefix>workers`, field = worker id, value = when its lease ends, in Unix
    /// milliseconds of the Redis server's clock. A worker renews its own; another worker takes over the processing
    /// hashes of one whose lease has ended.
    public var workersKey: String { "\(prefix)workers" }

    /// The hash of running totals: `<prefix>stats`.
    public var statsKey: String { "\(prefix)stats" }
}
