extension IPWatcherConfiguration {
    /// Every configuration key in file order, dotted as in override flags: `redis.url`, `queue.rejected_key`, ….
    public static let keyNames: [String] = schema.map(\.name)

    /// The environment variable that supplies the Redis password; it is not a configuration key, so it is never
    /// read from the file or flags, and it takes precedence over `redis.password_file` and the URL.
    public static let passwordEnvironmentVariable = "IPWATCHER_REDIS_PASSWORD"

    /// The environment variable for a dotted key: `IPWATCHER_` followed by the key in capitals with dots as
    /// underscores, the names swift-configuration's environment provider looks up under the `ipwatcher` prefix.
    public static func environmentVariableName(forKey key: String) -> String {
        "IPWATCHER_" + String(key.uppercased().map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }

    /// Every environment variable the daemon reads, in file order, with ``passwordEnvironmentVariable`` after
    /// `IPWATCHER_REDIS_PASSWORD_FILE`; for documentation and `--help`.
    public static func environmentVariableNames() -> [String] {
        var names: [String] = []
        for key in keyNames {
            names.append(environmentVariableName(forKey: key))
            if key == "redis.password_file" { names.append(passwordEnvironmentVariable) }
        }
        return names
    }

    /// `IPWATCHER_…` variables that are not configuration but belong to the project, so setting them is no typo:
    /// the test suites' own switches (`IPWATCHER_HOSTILE_SEED` replays a hostile-input run,
    /// `IPWATCHER_TEST_LOG_LEVEL` makes in-process workers verbose), which a developer may have exported in the
    /// shell that also runs the binary.
    public static let otherEnvironmentVariables: Set<String> = ["IPWATCHER_HOSTILE_SEED", "IPWATCHER_TEST_LOG_LEVEL"]

    /// The `IPWATCHER_…` variables in `environment` that are neither configuration nor
    /// ``otherEnvironmentVariables``, sorted: misspellings, which ``load(file:fileIsExplicit:environment:overrides:)``
    /// refuses as it refuses an unknown key in the file.
    public static func unknownEnvironmentVariables(in environment: [String: String]) -> [String] {
        let known = Set(environmentVariableNames()).union(otherEnvironmentVariables)
        return environment.keys.filter { $0.hasPrefix("IPWATCHER_") && !known.contains($0) }.sorted()
    }

    /// Throws for the first of ``unknownEnvironmentVariables(in:)``, naming the variable it most likely misspells.
    ///
    /// The value is not shown: the variable may be a misspelt `IPWATCHER_REDIS_PASSWORD`.
    static func checkEnvironment(_ environment: [String: String]) throws(ConfigurationError) {
        guard let unknown = unknownEnvironmentVariables(in: environment).first else { return }
        let prefix = "IPWATCHER_"
        // Compared without the shared prefix, so its length does not make any name look close.
        let known = (environmentVariableNames() + otherEnvironmentVariables.sorted()).map { String($0.dropFirst(prefix.count)) }
        let name = String(unknown.dropFirst(prefix.count))
        let extended = known.filter { name.hasPrefix($0) || ($0.hasPrefix(name) && name.contains("_")) }
        let hint = nearest(to: name, extending: extended, among: known).map { " (did you mean \(prefix)\($0)?)" } ?? ""
        throw ConfigurationError(
            key: unknown, message: "unknown environment variable\(hint)",
            description: "unknown environment variable \(unknown)\(hint)")
    }

    /// The shape of a key's value.
    enum KeyKind: Sendable {
        /// One value.
        case scalar
        /// A list: a YAML sequence, or comma-separated text.
        case list
    }

    /// A key of the configuration.
    struct KeySpec: Sendable {
        /// The dotted key.
        let name: String
        /// The shape of its value.
        let kind: KeyKind
        /// Whether its value may hold a secret and must not be shown.
        let isSecret: Bool

        init(_ name: String, _ kind: KeyKind = .scalar, secret: Bool = false) {
            self.name = name
            self.kind = kind
            self.isSecret = secret
        }
    }

    /// The keys in file order; ``load(file:fileIsExplicit:environment:overrides:)``, the unknown-key check,
    /// the environment names and ``renderedYAML()`` all follow this table, so a key is added in one place first.
    static let schema: [KeySpec] = [
        KeySpec("redis.url", secret: true),
        KeySpec("redis.password_file"),
        KeySpec("redis.client_name"),
        KeySpec("redis.connect_timeout"),
        KeySpec("redis.command_timeout"),
        KeySpec("redis.max_bulk_bytes"),
        KeySpec("redis.cluster"),
        KeySpec("redis.scripts"),
        KeySpec("redis.tls.ca_file"),
        KeySpec("redis.tls.cert_file"),
        KeySpec("redis.tls.key_file"),
        KeySpec("redis.tls.server_name"),
        KeySpec("redis.tls.verify"),
        KeySpec("queue.key"),
        KeySpec("queue.pop"),
        KeySpec("queue.batch"),
        KeySpec("queue.block_timeout"),
        KeySpec("queue.rejected_key"),
        KeySpec("queue.rejected_max"),
        KeySpec("queue.delivery"),
        KeySpec("queue.worker_id"),
        KeySpec("queue.shards"),
        KeySpec("queue.lease"),
        KeySpec("detection.mode"),
        KeySpec("detection.threshold"),
        KeySpec("detection.window"),
        KeySpec("detection.ipv4_prefix"),
        KeySpec("detection.ipv6_prefix"),
        KeySpec("detection.allowlist", .list),
        KeySpec("detection.dry_run"),
        KeySpec("detection.rules", .list),
        KeySpec("detection.near_limit"),
        KeySpec("detection.key_prefix"),
        KeySpec("detection.counters"),
        KeySpec("detection.buckets"),
        KeySpec("blocklist.key"),
        KeySpec("blocklist.ban_seconds"),
        KeySpec("blocklist.events_channel"),
        KeySpec("blocklist.escalation.factor"),
        KeySpec("blocklist.escalation.max_seconds"),
        KeySpec("blocklist.escalation.memory_seconds"),
        KeySpec("blocklist.escalation.jitter"),
        KeySpec("blocklist.ranges.ipv4_prefix"),
        KeySpec("blocklist.ranges.ipv6_prefix"),
        KeySpec("blocklist.ranges.min_units"),
        KeySpec("blocklist.ranges.key"),
        KeySpec("metrics.listen"),
        KeySpec("metrics.max_connections"),
        KeySpec("log.level"),
        KeySpec("log.format"),
    ]

    /// The keys by name.
    static let schemaByName: [String: KeySpec] = Dictionary(uniqueKeysWithValues: schema.map { ($0.name, $0) })

    /// The sections (`redis`, `redis.tls`, …): every proper prefix of a key.
    static let sectionNames: Set<String> = Set(
        schema.flatMap { spec in
            let parts = spec.name.split(separator: ".")
            return (1..<parts.count).map { parts[..<$0].joined(separator: ".") }
        })

    /// The known key a misspelt one most likely means: the longest key it extends or that extends it
    /// (`queue.batchsize`, `redis.password`), else the nearest by edit distance if that is close enough.
    static func suggestion(forUnknownKey key: String) -> String? {
        let extended = schema.map(\.name).filter { key.hasPrefix($0) || ($0.hasPrefix(key) && key.contains(".")) }
        return nearest(to: key, extending: extended, among: schema.map(\.name) + sectionNames.sorted())
    }

    /// The longest of `extended` (the known names `name` extends or that extend it), else the one of `candidates`
    /// nearest to `name` by edit distance if that is close enough; for suggestions only.
    private static func nearest(to name: String, extending extended: [String], among candidates: [String]) -> String? {
        if let longest = extended.max(by: { $0.count < $1.count }) { return longest }
        var best: (name: String, distance: Int)?
        for candidate in candidates {
            let distance = editDistance(Array(name), Array(candidate))
            if distance < (best?.distance ?? Int.max) { best = (candidate, distance) }
        }
        guard let best, best.distance <= max(2, name.count / 4) else { return nil }
        return best.name
    }

    /// Levenshtein distance, for suggestions only.
    private static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
