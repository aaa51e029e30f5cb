/// Everything the daemon can be configured with, after layering, parsing and validation.
///
/// Values come from, in increasing precedence: built-in ``defaults``, a YAML file, `IPWATCHER_<SECTION>_<KEY>`
/// environment variables and command-line overrides; ``load(file:fileIsExplicit:environment:overrides:)`` does the
/// layering and rejects anything invalid or unknown with a ``ConfigurationError``. A loaded value is therefore
/// valid; one assembled or edited in code is checked again where it matters, by ``endpoint``.
///
/// The Redis URL may hold a password and ``Redis-swift.struct/password`` holds one: neither ever appears in
/// `print`, `dump`, ``renderedYAML()``, ``warnings(filePath:)`` or an error.
public struct IPWatcherConfiguration: Sendable, Hashable {
    /// Where Redis is and how to talk to it.
    public var redis: Redis
    /// The list of addresses to consume.
    public var queue: Queue
    /// When an address counts as a bot.
    public var detection: Detection
    /// Where detected addresses are written.
    public var blocklist: Blocklist
    /// What is logged.
    public var log: Log
    /// Where the Prometheus endpoint listens.
    public var metrics: Metrics

    /// Creates a configuration from its sections; nothing is validated here.
    public init(
        redis: Redis, queue: Queue, detection: Detection, blocklist: Blocklist, log: Log, metrics: Metrics = Metrics()
    ) {
        self.redis = redis
        self.queue = queue
        self.detection = detection
        self.blocklist = blocklist
        self.log = log
        self.metrics = metrics
    }

    /// The configuration used when nothing is set; `config/ipwatcher.yaml` lists exactly these values.
    public static let defaults = IPWatcherConfiguration(
        redis: Redis(), queue: Queue(), detection: Detection(), blocklist: Blocklist(), log: Log())

    /// The file read when `--config` is not given; it is fine for it not to exist.
    public static let defaultFilePath = "/etc/ipwatcher/ipwatcher.yaml"
}
