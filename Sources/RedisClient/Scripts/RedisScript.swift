import RESP
import Synchronization

/// A Lua script run with `EVALSHA`, loaded on first use and again whenever the server has forgotten it, or as a
/// function of a ``RedisFunctionLibrary`` with `FCALL`.
///
/// The SHA1 digest is learned from `SCRIPT LOAD` and cached, so steady-state calls send only the digest.
public final class RedisScript: Sendable {
    /// The Lua source.
    public let source: String
    private let digest = Mutex<String?>(nil)

    /// Creates a script from Lua source.
    public init(_ source: String) {
        self.source = source
    }

    /// The digest learned from the server, if the script was loaded.
    public var sha1: String? { digest.withLock { $0 } }

    /// Records the digest a `SCRIPT LOAD` sent elsewhere returned (on every master of a cluster).
    public func remember(sha1 sha: String) {
        digest.withLock { $0 = sha }
    }

    /// Loads the script with `SCRIPT LOAD` and remembers its digest.
    @discardableResult
    public func load(on executor: some RedisCommandExecutor) async throws -> String {
        let reply = try await executor.send(RESPCommand("SCRIPT", "LOAD", source))
        guard let sha = reply.string else {
            throw RedisError.unexpectedReply(command: "SCRIPT LOAD", reply: reply.description)
        }
        digest.withLock { $0 = sha }
        return sha
    }
}

extension RedisScript {
    /// Runs `call` with the script's digest, loading it with `load` first if the digest is unknown and once more
    /// if the call is answered `NOSCRIPT` (after a restart, a `SCRIPT FLUSH` or a failover).
    ///
    /// The one place that knows how `EVALSHA` recovers from a server that forgot the script; `load` says where
    /// it is loaded (one server, or every master of a cluster).
    public func withDigest<Result>(
        load: () async throws -> String, _ call: (_ sha1: String) async throws -> Result
    ) async throws -> Result {
        let sha = try await sha1Loading(load)
        do {
            return try await call(sha)
        } catch RedisError.server(let error) where error.code == "NOSCRIPT" {
            return try await call(try await load())
        }
    }

    /// Runs `count` calls with the script's digest through `send`, which sends the calls at the given indices as
    /// one batch and returns their replies in that order (error replies as tokens); calls answered `NOSCRIPT` did
    /// not run, so exactly those are sent once more after loading the script again with `load`.
    public func withDigestPipelined(
        count: Int, load: () async throws -> String,
        _ send: (_ indices: [Int]?, _ sha1: String) async throws -> [RESPToken]
    ) async throws -> [RESPToken] {
        let sha = try await sha1Loading(load)
        var replies = try await send(nil, sha)
        let missing = replies.indices.filter { replies[$0].serverError?.code == "NOSCRIPT" }
        guard !missing.isEmpty else { return replies }
        let retried = try await send(missing, try await load())
        for (index, reply) in zip(missing, retried) { replies[index] = reply }
        return replies
    }

    private func sha1Loading(_ load: () async throws -> String) async throws -> String {
        if let known = sha1 { return known }
        return try await load()
    }
}

extension RedisCommandExecutor {
    /// Runs `script` with `EVALSHA`, loading it first if needed and once more if the server answers `NOSCRIPT`
    /// (after a restart or `SCRIPT FLUSH`).
    public func evaluate(
        _ script: RedisScript, keys: [String] = [], arguments: [String] = []
    ) async throws -> RESPToken {
        try await script.withDigest(load: { try await script.load(on: self) }) { sha in
            try await send(RESPCommand("EVALSHA", sha, keys.count, keys, arguments))
        }
    }
}

extension RedisCommandExecutor {
    /// Runs `count` calls of `script` as one pipeline, each encoded by `encode(index, head, &encoder)` after
    /// `head`, and returns the replies in order.
    ///
    /// When `script` is one of `functions`, `head` is `FCALL <function>`. Otherwise it is `EVALSHA <sha1>`: the
    /// script is loaded first if its digest is unknown, and calls answered `NOSCRIPT` (the server restarted or
    /// flushed its scripts) did not run, so exactly those are sent again after reloading.
    public func evaluatePipelined(
        _ script: RedisScript, count: Int, functions: RedisFunctionLibrary? = nil, timeout: Duration? = nil,
        encode: (_ index: Int, _ head: RedisScriptCall, _ encoder: inout RESPCommandEncoder) -> Void
    ) async throws -> [RESPToken] {
        guard count > 0 else { return [] }
        var encoder = RESPCommandEncoder()
        if let name = functions?.functionName(of: script) {
            for index in 0..<count { encode(index, .fcall(name), &encoder) }
            return try await pipeline(encoder, timeout: timeout)
        }
        return try await script.withDigestPipelined(count: count, load: { try await script.load(on: self) }) {
            indices, sha in
            encoder.reset()
            if let indices {
                for index in indices { encode(index, .evalsha(sha), &encoder) }
            } else {
                for index in 0..<count { encode(index, .evalsha(sha), &encoder) }
            }
            return try await pipeline(encoder, timeout: timeout)
        }
    }
}
