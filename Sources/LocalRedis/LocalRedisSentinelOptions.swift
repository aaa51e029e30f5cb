/// How a ``LocalRedisSentinelGroup`` is laid out and how its sentinels are tuned.
///
/// The defaults give one master, two replicas and three sentinels with a quorum of 2, no passwords, and timings
/// short enough for a test to watch a failover in a few seconds yet long enough that a loaded 2-core machine does
/// not set one off by itself.
public struct LocalRedisSentinelOptions: Sendable, Hashable {
    /// How many replicas the master starts with.
    public var replicas: Int
    /// How many sentinel processes watch the master.
    public var sentinels: Int
    /// How many sentinels must agree that the master is down before a failover starts (`sentinel monitor … <quorum>`).
    ///
    /// The failover itself still needs a majority of all sentinels to elect a leader, whatever the quorum.
    public var quorum: Int
    /// The name the sentinels know the master by (`sentinel monitor <name> …`), the path of ``LocalRedisSentinelGroup/sentinelURL``.
    ///
    /// Letters, digits, `.`, `_` and `-` only, so that it needs no quoting in a config file, a command or a URL.
    public var masterName: String
    /// How long an instance may fail to answer before a sentinel considers it down (`down-after-milliseconds`,
    /// rounded down to whole milliseconds).
    ///
    /// A killed master counts as down `downAfter` after the kill. 2 s, not less: when a sentinel switches to a new
    /// master it reuses its link to the old one, which it reconnects at most once a second, and counts the time
    /// from the switch against `downAfter` until the new master's first PONG. With 1 s that PONG sometimes came
    /// too late, and the sentinels declared the healthy new master down and failed it over too (once in about ten
    /// failovers on the loaded 2-core machine); 2 s leaves the reconnect a second of slack.
    public var downAfter: Duration
    /// Sentinel's `failover-timeout`, rounded down to whole milliseconds.
    ///
    /// It bounds every step of a failover: an election that gets no majority is abandoned after it (at most 10 s)
    /// and the same master is not failed over again before twice its time has passed since the last attempt; a
    /// replica that does not turn master in that time ends the attempt; replicas not yet moved to the new master by
    /// then are moved anyway; and a replica left pointing at another master is corrected only after it. The default
    /// (3 minutes) would turn one unlucky split vote into a 6-minute wait, so 5 s here: on loopback the steps after
    /// the master counts as down take about 1.2 s in all, the longest (seeing the promotion in the replica's
    /// `INFO`, read once a second) about 0.9 s, so 5 s leaves room for a busy machine while a failed election is
    /// retried after 10 s.
    public var failoverTimeout: Duration
    /// How many replicas are moved to a new master at the same time after a failover (`parallel-syncs`).
    public var parallelSyncs: Int
    /// Password of every data node (`requirepass`, and `masterauth` since any node may become a replica); the
    /// sentinels log in with it (`sentinel auth-pass`). Nil for no password. One word without quotes or
    /// backslashes, because Sentinel writes it back into its config unquoted.
    public var password: String?
    /// Password of the sentinels themselves (`requirepass` in their config); they give it to each other as
    /// `sentinel sentinel-pass`. Nil for open sentinels. One word without quotes or backslashes, like ``password``.
    public var sentinelPassword: String?

    /// Creates the options; every parameter has the default described at its property.
    public init(
        replicas: Int = 2,
        sentinels: Int = 3,
        quorum: Int = 2,
        masterName: String = "ipwatcher",
        downAfter: Duration = .milliseconds(2000),
        failoverTimeout: Duration = .milliseconds(5000),
        parallelSyncs: Int = 1,
        password: String? = nil,
        sentinelPassword: String? = nil
    ) {
        self.replicas = replicas
        self.sentinels = sentinels
        self.quorum = quorum
        self.masterName = masterName
        self.downAfter = downAfter
        self.failoverTimeout = failoverTimeout
        self.parallelSyncs = parallelSyncs
        self.password = password
        self.sentinelPassword = sentinelPassword
    }

    /// `downAfter` in whole milliseconds, as the config file takes it.
    var downAfterMilliseconds: Int64 { Self.milliseconds(downAfter) }

    /// `failoverTimeout` in whole milliseconds, as the config file takes it.
    var failoverTimeoutMilliseconds: Int64 { Self.milliseconds(failoverTimeout) }

    private static func milliseconds(_ duration: Duration) -> Int64 {
        let components = duration.components
        return components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }

    /// The first reason these options cannot describe a group, or nil.
    var problem: String? {
        if replicas < 0 { return "replicas must not be negative, not \(replicas)" }
        if sentinels < 1 { return "sentinels must be at least 1, not \(sentinels)" }
        if quorum < 1 || quorum > sentinels {
            return "quorum must be between 1 and the number of sentinels (\(sentinels)), not \(quorum)"
        }
        if parallelSyncs < 1 { return "parallelSyncs must be at least 1, not \(parallelSyncs)" }
        if downAfterMilliseconds < 1 { return "downAfter must be at least 1 ms, not \(downAfter)" }
        if failoverTimeoutMilliseconds < 1 { return "failoverTimeout must be at least 1 ms, not \(failoverTimeout)" }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        if masterName.isEmpty || !masterName.allSatisfy(allowed.contains) {
            return "masterName must be letters, digits, '.', '_' and '-' only, not \(masterName.debugDescription)"
        }
        // Sentinel 7.0 writes auth-pass and sentinel-pass back into its config unquoted, so only a password that
        // reads back as one word survives its own config rewrite.
        for (name, value) in [("password", password), ("sentinelPassword", sentinelPassword)] {
            if let value, !Self.isOneWord(value) {
                return "\(name) must be one word without quotes or backslashes (Sentinel rewrites it unquoted)"
            }
        }
        return nil
    }

    /// Whether `password` reads back as itself from an unquoted config line: not empty, and no whitespace, control
    /// characters, quotes or backslashes.
    private static func isOneWord(_ password: String) -> Bool {
        !password.isEmpty && !password.unicodeScalars.contains { scalar in
            scalar.properties.isWhitespace || scalar.value < 0x20 || scalar.value == 0x7F || "\"'\\".unicodeScalars.contains(scalar)
        }
    }
}
