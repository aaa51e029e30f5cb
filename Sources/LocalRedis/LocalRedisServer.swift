import Foundation

/// A redis-server child process in its own temporary directory.
///
/// Tests, the benchmark command and the demo command need a Redis that nobody else touches: a shared or
/// system instance would let parallel tests see each other's keys and would make results depend on the machine.
/// Each instance has its own directory, ports and socket, so any number can run at once.
///
/// Lifecycle: ``stop()`` shuts the server down and deletes everything; ``kill()`` simulates a crash and keeps the
/// files so ``restart()`` can bring the same server (same ports, same directory, same append-only data) back.
/// Lifecycle calls are serialized, so they may come from any task. If the instance is released while the server
/// still runs, it is killed and its directory removed.
public final class LocalRedisServer: Sendable {
    /// The options the server was started with; ``restart()`` uses them again.
    public let options: LocalRedisServerOptions
    /// The server's private directory: config, log, unix socket and append-only files.
    public let directory: String
    /// Plain TCP port on 127.0.0.1, or nil when ``LocalRedisServerOptions/tcp`` is false.
    public let port: Int?
    /// TLS port on 127.0.0.1, or nil without ``LocalRedisServerOptions/tls``.
    public let tlsPort: Int?
    /// Path of the unix socket, or nil when ``LocalRedisServerOptions/unixSocket`` is false.
    public let socketPath: String?

    let executable: String
    private let process: ChildProcessSlot

    init(
        options: LocalRedisServerOptions,
        executable: String,
        directory: String,
        endpoints: Endpoints,
        child: RedisChildProcess
    ) {
        self.options = options
        self.executable = executable
        self.directory = directory
        self.port = endpoints.port
        self.tlsPort = endpoints.tlsPort
        self.socketPath = endpoints.socketPath
        self.process = ChildProcessSlot(child)
    }

    deinit {
        // Best effort: a test that failed before stop() must not leave a server or files behind.
        process.killNow()
        removeFiles()
    }

    /// `redis://127.0.0.1:PORT`, or the unix socket URL without TCP, or `rediss://127.0.0.1:TLSPORT` with TLS only.
    ///
    /// Credentials are never included; pass ``LocalRedisServerOptions/password`` separately.
    public var url: String {
        if let port { return "redis://127.0.0.1:\(port)" }
        if let socketURL { return socketURL }
        if let tlsURL { return tlsURL }
        return "redis://127.0.0.1:0"
    }

    /// `unix://<socketPath>`, or nil without a unix socket.
    public var socketURL: String? {
        socketPath.map { "unix://\($0)" }
    }

    /// `rediss://127.0.0.1:TLSPORT`, or nil without TLS; the generated server certificate covers both 127.0.0.1 and localhost.
    public var tlsURL: String? {
        tlsPort.map { "rediss://127.0.0.1:\($0)" }
    }

    /// Process identifier of the current (or, after ``kill()`` or ``stop()``, the last) redis-server process.
    public var pid: Int32 {
        process.pid
    }

    /// Whether the server process is alive; false after ``stop()``, ``kill()`` or an unexpected exit.
    public var isRunning: Bool {
        process.isRunning
    }

    /// Shuts the server down and deletes its directory; safe to call repeatedly.
    ///
    /// Sends SIGTERM, waits up to 5 s, then SIGKILL, and always waits for the process to be reaped.
    /// Not cancellable: cleanup runs to completion even in a cancelled task.
    public func stop() async {
        await process.stop(afterwards: removeFiles)
    }

    /// Kills the server with SIGKILL and waits for it to be reaped, simulating a crash; files are kept for ``restart()``.
    public func kill() async {
        await process.kill()
    }

    /// Starts the server again with the same options, ports and directory, so append-only data survives.
    ///
    /// A running server is shut down first as in ``stop()`` but its files are kept. After ``stop()`` the directory
    /// is recreated empty. Fails with ``LocalRedisError/launchFailed(_:)`` if another process took one of the ports meanwhile.
    public func restart() async throws(LocalRedisError) {
        try await process.restart { () async throws(LocalRedisError) -> RedisChildProcess in
            try Self.ensureDirectory(directory)
            let endpoints = Endpoints(port: port, tlsPort: tlsPort, socketPath: socketPath)
            let attempt = try await Self.launch(
                executable: executable,
                options: options,
                directory: directory,
                endpoints: endpoints
            )
            switch attempt {
            case .ready(let started):
                return started
            case .addressInUse(let tail):
                throw .launchFailed("a port of this server was taken by another process meanwhile; restart reuses the same ports.\n\(tail)")
            }
        }
    }

    /// Deletes the server's directory, including append-only data; ``stop()`` does this already.
    ///
    /// Meant for a server left stopped by ``kill()`` that will not be restarted. Deleting the files of a running
    /// server does not stop it.
    public func removeFiles() {
        try? FileManager.default.removeItem(atPath: directory)
    }
}
