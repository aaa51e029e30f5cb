import Foundation

/// One private Redis Sentinel process of a ``LocalRedisSentinelGroup``, in its own temporary directory.
///
/// It listens on 127.0.0.1 at a free port and on `sentinel.sock` in its directory (over which readiness is
/// confirmed, since a sentinel logs no "ready" line). Its `sentinel.conf` is written once at the start and then
/// belongs to the sentinel, which rewrites it with everything it learns (its ID, replicas, other sentinels, the
/// current master and epoch); ``restart()`` starts it from that rewritten file, as an operator's restart would.
///
/// Lifecycle: ``stop()`` shuts it down and deletes its directory; ``kill()`` simulates a crash and keeps the files.
/// Lifecycle calls are serialized, so they may come from any task. If the instance is released while the process
/// still runs, it is killed and its directory removed.
public final class LocalRedisSentinel: Sendable {
    /// Plain TCP port on 127.0.0.1, fixed for the life of the instance.
    public let port: Int
    /// The sentinel's private directory: config, log and unix socket.
    public let directory: String
    /// Password the sentinel requires of clients (`requirepass`), or nil.
    public let password: String?

    /// The command that runs it: redis-sentinel, or redis-server followed by `--sentinel`.
    let command: [String]
    private let process: ChildProcessSlot

    init(port: Int, directory: String, password: String?, command: [String], child: RedisChildProcess) {
        self.port = port
        self.directory = directory
        self.password = password
        self.command = command
        self.process = ChildProcessSlot(child)
    }

    deinit {
        // Best effort, as for LocalRedisServer: a test that failed before stop() must not leave a sentinel behind.
        process.killNow()
        removeFiles()
    }

    /// `redis://127.0.0.1:PORT`, without credentials; pass ``password`` separately.
    public var url: String { "redis://127.0.0.1:\(port)" }

    /// `127.0.0.1:PORT`, as in a `redis+sentinel://` URL and in the sentinels' own replies.
    public var address: String { "127.0.0.1:\(port)" }

    /// Path of `sentinel.conf`, which the sentinel rewrites as it learns.
    public var configurationPath: String { Self.configurationPath(in: directory) }

    /// Path of the sentinel's log, where it writes every event (`+sdown`, `+switch-master`, …) with a timestamp.
    public var logPath: String { Self.logPath(in: directory) }

    /// Process identifier of the current (or, after ``kill()`` or ``stop()``, the last) sentinel process.
    public var pid: Int32 {
        process.pid
    }

    /// Whether the process is alive; false after ``stop()``, ``kill()`` or an unexpected exit.
    public var isRunning: Bool {
        process.isRunning
    }

    /// Shuts the sentinel down and deletes its directory; safe to call repeatedly.
    ///
    /// Sends SIGTERM, waits up to 5 s, then SIGKILL, and always waits for the process to be reaped. Not
    /// cancellable: cleanup runs to completion even in a cancelled task.
    public func stop() async {
        await process.stop(afterwards: removeFiles)
    }

    /// Kills the sentinel with SIGKILL and waits for it to be reaped; its files are kept for ``restart()``.
    public func kill() async {
        await process.kill()
    }

    /// Starts the sentinel again on the same port from the `sentinel.conf` it last rewrote.
    ///
    /// A running sentinel is shut down first (SIGTERM). After ``stop()`` there is no config left, so this fails
    /// with ``LocalRedisSentinelError/sentinelFailed(_:)``, as it does when another process took the port meanwhile.
    public func restart() async throws(LocalRedisSentinelError) {
        try await process.restart { () async throws(LocalRedisSentinelError) -> RedisChildProcess in
            guard FileManager.default.fileExists(atPath: configurationPath) else {
                throw .sentinelFailed("\(address) was stopped, so it has no sentinel.conf left to restart from")
            }
            switch try await Self.launch(command: command, directory: directory) {
            case .ready(let started):
                return started
            case .addressInUse(let tail):
                throw .sentinelFailed("\(address) was taken by another process meanwhile; restart reuses the port.\n\(tail)")
            }
        }
    }

    /// Deletes the sentinel's directory; ``stop()`` does this already.
    public func removeFiles() {
        try? FileManager.default.removeItem(atPath: directory)
    }
}
