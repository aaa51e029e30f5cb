extension IPWatcherConfiguration {
    /// The `queue` section: the Redis list producers push addresses onto, and how it is consumed.
    public struct Queue: Sendable, Hashable {
        /// Which end of the list a pop takes from.
        public enum PopSide: String, Sendable, Hashable, CaseIterable {
            /// `BLPOP`/`LPOP`: the product's stated design. With producers using `LPUSH`, newest first.
            case left
            /// `BRPOP`/`RPOP`: with `LPUSH` producers, arrival order.
            case right
        }

        /// What a crash of the worker may cost.
        public enum Delivery: String, Sendable, Hashable, CaseIterable {
            /// Each popped batch is moved into a list of the worker's own until its counts are written: a
            /// crash loses nothing, and an entry may be counted twice.
            case atLeastOnce = "at-least-once"
            /// A plain pop: fastest, but the batch in hand when the worker dies is never counted.
            case atMostOnce = "at-most-once"
        }

        /// The list holding one address per entry.
        public var key: String
        /// Which end is popped.
        public var pop: PopSide
        /// Most entries taken per round trip, 1...100000.
        public var batch: Int
        /// How long the blocking pop waits for an entry when the list is empty, 0.01...60 seconds.
        public var blockTimeout: Duration
        /// List that keeps entries that are not addresses; nil drops them after logging.
        public var rejectedKey: String?
        /// Length the rejected list is trimmed to (`LTRIM`), 1...``maximumRejectedMax``, so bad input cannot fill
        /// Redis.
        public var rejectedMax: Int
        /// Whether a popped batch is kept in a processing hash until it is written.
        public var delivery: Delivery
        /// Names this worker's processing hash; nil means ``WorkerID/defaultID(queueKey:keyPrefix:)``, the host
        /// name and a suffix that stays the same across restarts.
        public var workerID: String?
        /// How many lists the queue is split into, 1...1024: 1 is ``key`` itself, more are `<key>:{0}` …
        /// (see ``Detection/QueueShards``); producers pick a list by the address's CRC-32.
        public var shards: Int
        /// Seconds a worker's lease lasts without renewal (it renews every third of it); after that another worker
        /// counts and releases the batches the silent worker left in its processing hashes. 0 turns leases off:
        /// a worker's batches then wait for it to start again with the same id.
        public var lease: Int

        /// The highest `rejected_max`: ten million entries, about a gigabyte of Redis at worst, which is as much
        /// dead letter as anyone reads.
        public static let maximumRejectedMax = 10_000_000

        /// Creates the section; every parameter defaults to the documented default.
        public init(
            key: String = "ips", pop: PopSide = .left, batch: Int = 10_000, blockTimeout: Duration = .seconds(1),
            rejectedKey: String? = nil, rejectedMax: Int = 10000, delivery: Delivery = .atLeastOnce,
            workerID: String? = nil, shards: Int = 1, lease: Int = 30
        ) {
            self.lease = lease
            self.shards = shards
            self.key = key
            self.pop = pop
            self.batch = batch
            self.blockTimeout = blockTimeout
            self.rejectedKey = rejectedKey
            self.rejectedMax = rejectedMax
            self.delivery = delivery
            self.workerID = workerID
        }
    }
}
