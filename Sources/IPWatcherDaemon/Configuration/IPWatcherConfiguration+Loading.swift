import Configuration
import Detection
import Logging

extension IPWatcherConfiguration {
    /// Reads, layers and validates the configuration: `overrides` over `environment` over the YAML `file` over
    /// ``defaults``.
    ///
    /// - Parameters:
    ///   - file: The YAML file to read, or nil to read none. The CLI passes `--config` or ``defaultFilePath``.
    ///   - fileIsExplicit: Whether the user named `file` (`--config`): then a missing file is an error; the
    ///     default file may be missing. A file that exists but cannot be read is an error either way.
    ///   - environment: The process environment (a parameter so tests control it); only `IPWATCHER_…` variables
    ///     are read, named by ``environmentVariableName(forKey:)``, plus ``passwordEnvironmentVariable``.
    ///   - overrides: Command-line values by dotted key (`"detection.threshold": "20"`); list keys take
    ///     comma-separated text. An unknown key is an error, as in the file.
    /// - Returns: A configuration whose every value is in range, whose Redis URL and TLS settings combine into an
    ///   ``endpoint``, and whose password (from the environment or `redis.password_file`) is loaded.
    /// - Throws: The first problem found, as a ``ConfigurationError``; an `IPWATCHER_…` environment variable that
    ///   is not configuration is one (``unknownEnvironmentVariables(in:)``), as an unknown key in the file is.
    public static func load(
        file: String?, fileIsExplicit: Bool, environment: [String: String], overrides: [String: String]
    ) async throws(ConfigurationError) -> IPWatcherConfiguration {
        try checkEnvironment(environment)
        var providers: [any ConfigProvider] = [
            try overridesProvider(overrides),
            // `ipwatcher.redis.url` encodes to IPWATCHER_REDIS_URL under the provider's own naming rules.
            EnvironmentVariablesProvider(
                environmentVariables: environment,
                secretsSpecifier: .specific([environmentVariableName(forKey: "redis.url"), passwordEnvironmentVariable])
            ).prefixKeys(with: ConfigKey(["ipwatcher"])),
        ]
        var fileKeys: Set<String> = []
        if let file, let check = try checkedFile(file, isExplicit: fileIsExplicit), !check.keys.isEmpty {
            fileKeys = check.keys
            providers.append(check.provider)
        }
        let values = ConfigurationValueReader(reader: ConfigReader(providers: providers), fileKeys: fileKeys)

        var configuration = IPWatcherConfiguration(
            redis: try readRedis(values), queue: try readQueue(values), detection: try readDetection(values),
            blocklist: try readBlocklist(values), log: try readLog(values))
        configuration.metrics = try readMetrics(values)
        configuration.redis.password = try loadPassword(
            environment: environment, passwordFile: configuration.redis.passwordFile)
        // Parses the URL and merges the TLS section, so a bad combination fails here and not at connect time.
        _ = try configuration.endpoint
        try configuration.checkClusterKeys()
        try configuration.checkRanges()
        try checkReadable(configuration.redis.tls)
        return configuration
    }

    /// The overrides as an in-memory provider, after checking that every key exists.
    private static func overridesProvider(
        _ overrides: [String: String]
    ) throws(ConfigurationError) -> InMemoryProvider {
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        for (key, value) in overrides.sorted(by: { $0.key < $1.key }) {
            guard let spec = schemaByName[key] else {
                throw ConfigurationError.unknownKey(
                    key, source: "the command-line overrides", suggestion: suggestion(forUnknownKey: key))
            }
            // The provider only answers lookups of the type it holds, and lists are looked up as string arrays.
            let content: ConfigContent =
                spec.kind == .list ? .stringArray(ConfigurationValueReader.splitList(value)) : .string(value)
            values[AbsoluteConfigKey(ConfigKey(key))] = ConfigValue(content, isSecret: spec.isSecret)
        }
        return InMemoryProvider(name: "command-line overrides", values: values)
    }

    /// Reads and checks the YAML file; nil when it may be and is missing.
    private static func checkedFile(
        _ path: String, isExplicit: Bool
    ) throws(ConfigurationError) -> ConfigurationFileCheck? {
        let quotedPath = ConfigurationError.quoted(path)
        switch ConfigurationFileSystem.read(path) {
        case .missing:
            guard isExplicit else { return nil }
            throw ConfigurationError(key: "", message: "config file \(quotedPath) does not exist")
        case .failed(let reason):
            throw ConfigurationError(key: "", message: "config file \(quotedPath) cannot be read: \(reason)")
        case .contents(let bytes):
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw ConfigurationError(key: "", message: "config file \(quotedPath) is not UTF-8 text")
            }
            return try ConfigurationFileCheck(text: text, path: path)
        }
    }

    /// The `redis` section.
    private static func readRedis(_ values: ConfigurationValueReader) throws(ConfigurationError) -> Redis {
        let defaults = Redis()
        let url = try values.string("redis.url", default: defaults.url)
        let passwordFile = try values.optionalString("redis.password_file", default: defaults.passwordFile)
        let clientName = try values.optionalString("redis.client_name", default: defaults.clientName)
        if let clientName, clientName.contains(where: { $0.isWhitespace || isControl($0) }) {
            // Redis refuses CLIENT SETNAME with spaces or line breaks; better to say so before connecting.
            throw ConfigurationError.invalid(
                "redis.client_name", clientName, "must not contain spaces or control characters")
        }
        let connectTimeout = try values.seconds(
            "redis.connect_timeout", default: defaults.connectTimeout, minimum: nil, maximum: 86400)
        let commandTimeout = try values.seconds(
            "redis.command_timeout", default: defaults.commandTimeout, minimum: nil, maximum: 86400)
        let maxBulkBytes = try values.integer(
            "redis.max_bulk_bytes", default: defaults.maxBulkBytes, minimum: Redis.minimumMaxBulkBytes,
            maximum: Redis.maximumMaxBulkBytes)
        let tls = Redis.TLS(
            caFile: try values.optionalString("redis.tls.ca_file", default: defaults.tls.caFile),
            certFile: try values.optionalString("redis.tls.cert_file", default: defaults.tls.certFile),
            keyFile: try values.optionalString("redis.tls.key_file", default: defaults.tls.keyFile),
            serverName: try values.optionalString("redis.tls.server_name", default: defaults.tls.serverName),
            verify: try values.choice(
                "redis.tls.verify", default: defaults.tls.verify, among: [.full, .noHostname, .none]))
        return Redis(
            url: url, passwordFile: passwordFile, clientName: clientName, connectTimeout: connectTimeout,
            commandTimeout: commandTimeout, maxBulkBytes: maxBulkBytes, tls: tls,
            cluster: try values.bool("redis.cluster", default: defaults.cluster),
            scripts: try values.choice("redis.scripts", default: defaults.scripts))
    }

    /// The `queue` section.
    private static func readQueue(_ values: ConfigurationValueReader) throws(ConfigurationError) -> Queue {
        let defaults = Queue()
        let workerID = try values.optionalString("queue.worker_id", default: defaults.workerID)
        if let workerID, let problem = WorkerID.problem(with: workerID) {
            throw ConfigurationError.invalid("queue.worker_id", workerID, problem)
        }
        return Queue(
            key: try values.nonEmptyString("queue.key", default: defaults.key),
            pop: try values.choice("queue.pop", default: defaults.pop),
            batch: try values.integer("queue.batch", default: defaults.batch, minimum: 1, maximum: 100_000),
            blockTimeout: try values.seconds(
                "queue.block_timeout", default: defaults.blockTimeout, minimum: 0.01, maximum: 60),
            rejectedKey: try values.optionalString("queue.rejected_key", default: defaults.rejectedKey),
            rejectedMax: try values.integer(
                "queue.rejected_max", default: defaults.rejectedMax, minimum: 1, maximum: Queue.maximumRejectedMax),
            delivery: try values.choice("queue.delivery", default: defaults.delivery),
            workerID: workerID,
            shards: try values.integer("queue.shards", default: defaults.shards, minimum: 1, maximum: 1024),
            lease: try values.integer("queue.lease", default: defaults.lease, minimum: 0, maximum: 86400))
    }

    /// The `detection` section.
    private static func readDetection(_ values: ConfigurationValueReader) throws(ConfigurationError) -> Detection {
        let defaults = Detection()
        let mode = try values.choice("detection.mode", default: defaults.mode)
        let threshold = try values.integer(
            "detection.threshold", default: defaults.threshold, minimum: 1, maximum: DetectionRule.maximumThreshold)
        let window = try values.integer("detection.window", default: defaults.window, minimum: 1, maximum: 86400)
        let ipv4Prefix = try values.integer(
            "detection.ipv4_prefix", default: defaults.ipv4Prefix, minimum: 0, maximum: 32)
        let ipv6Prefix = try values.integer(
            "detection.ipv6_prefix", default: defaults.ipv6Prefix, minimum: 0, maximum: 128)
        let allowlist = values.list("detection.allowlist") ?? defaults.allowlist
        for entry in allowlist where !CIDRNotation.isValid(entry) {
            throw ConfigurationError.invalid(
                "detection.allowlist", entry, "is not an IP network in CIDR notation (10.0.0.0/8, 2001:db8::/32)")
        }
        let dryRun = try values.bool("detection.dry_run", default: defaults.dryRun)
        let keyPrefix = try values.string("detection.key_prefix", default: defaults.keyPrefix)
        guard !keyPrefix.isEmpty, !keyPrefix.contains(where: { $0.isWhitespace || isControl($0) }) else {
            throw ConfigurationError.invalid(
                "detection.key_prefix", keyPrefix, "must be non-empty, without spaces or control characters")
        }
        var rules: [Rule] = []
        for text in values.list("detection.rules") ?? [] {
            let rule = try Rule.parse(text)
            if rules.contains(where: { $0.name == rule.name }) {
                throw ConfigurationError.invalid("detection.rules", text, "repeats the name \(rule.name)")
            }
            rules.append(rule)
        }
        if !rules.isEmpty {
            for key in singleRuleKeys where try values.text(key) != nil {
                throw ConfigurationError(
                    key: "detection.rules",
                    message: "cannot be combined with \(key): set the single rule's keys or detection.rules, not both")
            }
        }
        let nearLimit = try values.fraction(
            "detection.near_limit", default: defaults.nearLimit, minimum: 0, maximum: 1, minimumIncluded: false)
        let counters = try values.choice("detection.counters", default: defaults.counters)
        let buckets = try values.integer(
            "detection.buckets", default: defaults.buckets, minimum: 1, maximum: CounterLayout.maximumBucketCount)
        return Detection(
            mode: mode, threshold: threshold, window: window, ipv4Prefix: ipv4Prefix, ipv6Prefix: ipv6Prefix,
            allowlist: allowlist, dryRun: dryRun, keyPrefix: keyPrefix, rules: rules, nearLimit: nearLimit,
            counters: counters, buckets: buckets)
    }

    /// The `blocklist` section.
    private static func readBlocklist(_ values: ConfigurationValueReader) throws(ConfigurationError) -> Blocklist {
        let defaults = Blocklist()
        let escalation = BanEscalation(
            factor: try values.fraction(
                "blocklist.escalation.factor", default: defaults.escalation.factor, minimum: 1,
                maximum: BanEscalation.maximumFactor),
            maxSeconds: try values.integer(
                "blocklist.escalation.max_seconds", default: defaults.escalation.maxSeconds, minimum: 1,
                maximum: BanExpiry.maximumSeconds),
            memorySeconds: try values.integer(
                "blocklist.escalation.memory_seconds", default: defaults.escalation.memorySeconds, minimum: 1,
                maximum: BanExpiry.maximumSeconds),
            jitter: try values.fraction(
                "blocklist.escalation.jitter", default: defaults.escalation.jitter, minimum: 0,
                maximum: BanEscalation.maximumJitter))
        let ranges = RangeBanPolicy(
            ipv4Prefix: try values.integer(
                "blocklist.ranges.ipv4_prefix", default: defaults.ranges.ipv4Prefix, minimum: 1, maximum: 31),
            ipv6Prefix: try values.integer(
                "blocklist.ranges.ipv6_prefix", default: defaults.ranges.ipv6Prefix, minimum: 1, maximum: 127),
            minUnits: try values.integer(
                "blocklist.ranges.min_units", default: defaults.ranges.minUnits, minimum: 0, maximum: 1_000_000))
        return Blocklist(
            key: try values.nonEmptyString("blocklist.key", default: defaults.key),
            banSeconds: try values.integer(
                "blocklist.ban_seconds", default: defaults.banSeconds, minimum: 0, maximum: BanExpiry.maximumSeconds),
            eventsChannel: try values.optionalString("blocklist.events_channel", default: defaults.eventsChannel),
            escalation: escalation, ranges: ranges,
            rangesKey: try values.nonEmptyString("blocklist.ranges.key", default: defaults.rangesKey))
    }

    /// The `log` section.
    private static func readLog(_ values: ConfigurationValueReader) throws(ConfigurationError) -> Log {
        Log(
            level: try values.choice("log.level", default: Log().level),
            format: try values.choice("log.format", default: Log().format))
    }

    /// The password that replaces the URL's: `IPWATCHER_REDIS_PASSWORD` if set and non-empty, else the contents
    /// of `passwordFile` without trailing line breaks, else nil.
    ///
    /// The variable is read straight from `environment`, not through the providers: it is not a key, so neither
    /// the file nor an override may set it, and a password in a world-readable file is what it exists to avoid.
    private static func loadPassword(
        environment: [String: String], passwordFile: String?
    ) throws(ConfigurationError) -> RedisPassword? {
        // An empty variable counts as unset, which is how service managers and shells usually clear one.
        if let value = environment[passwordEnvironmentVariable], !value.isEmpty {
            return RedisPassword(value: value, source: .environment)
        }
        guard let passwordFile else { return nil }
        let key = "redis.password_file"
        switch ConfigurationFileSystem.read(passwordFile) {
        case .missing:
            throw ConfigurationError.invalid(key, passwordFile, "does not exist")
        case .failed(let reason):
            throw ConfigurationError.invalid(key, passwordFile, "cannot be read: \(reason)")
        case .contents(var bytes):
            while let last = bytes.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") {
                bytes.removeLast()
            }
            guard let password = String(validating: bytes, as: UTF8.self) else {
                throw ConfigurationError.invalid(key, passwordFile, "is not UTF-8 text")
            }
            guard !password.isEmpty else { throw ConfigurationError.invalid(key, passwordFile, "is empty") }
            return RedisPassword(value: password, source: .passwordFile)
        }
    }

    /// Throws if a file named in the TLS section cannot be read now, rather than at the first connect.
    private static func checkReadable(_ tls: Redis.TLS) throws(ConfigurationError) {
        let files = [
            ("redis.tls.ca_file", tls.caFile), ("redis.tls.cert_file", tls.certFile),
            ("redis.tls.key_file", tls.keyFile),
        ]
        for case (let key, let path?) in files {
            if let reason = ConfigurationFileSystem.unreadableReason(path) {
                throw ConfigurationError.invalid(key, path, "cannot be read: \(reason)")
            }
        }
    }

    /// Whether a character is a control character (`\n`, `\t`, DEL, …).
    static func isControl(_ character: Character) -> Bool {
        character.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }
}
