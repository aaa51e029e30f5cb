import RedisClient

/// Every Lua script the worker runs, as the one Redis Functions library `ipwatcher redis install-functions` loads
/// and a worker with `redis.scripts: functions` calls.
///
/// A script missing here would still run with `EVALSHA`, which the functions ACL refuses: add every new script.
public enum IPWatcherFunctions {
    /// The library; its ``RedisClient/RedisFunctionLibrary/version`` changes whenever a script does.
    public static let library = RedisFunctionLibrary(
        prefix: "ipwatcher",
        functions: [
            .init("take_batch", ProcessingQueuePopper.takeScript),
            .init("read_batch", ProcessingQueuePopper.readScript),
            .init("pop_batch", QueuePopper.popScript),
            .init("count_fixed", FixedWindowCounter.script),
            .init("count_buckets", BucketedWindowCounter.script),
            .init("count_rolling", RollingWindowCounter.script),
            .init("ban", BlocklistScripts.ban),
            .init("expire_bans", BlocklistScripts.expire),
            .init("lease_renew", WorkerLease.renewScript),
            .init("lease_claim", WorkerLease.claimScript),
            .init("lease_extend", WorkerLease.extendScript),
            .init("lease_forget", WorkerLease.forgetScript),
        ])
}
