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

extension RedisCommandExecutor {
    /// Runs `script` with `EVALSHA`, loading it first if needed and once more if the server answers `NOSCRIPT`
    /// (after a restart or `SCRIPT FLUSH`).
    public func evaluate(
        _ script: RedisScript, keys: [String] = [], arguments: [String] = []
    ) async throws -> RESPToken {
        let sha: String
        if let known = script.sha1 {
            sha = known
        } else {
            sha = try await script.load(on: self)
        }
        do {
            return try await send(RESPCommand("EVALSHA", sha, keys.count, keys, arguments))
        } catch RedisError.server(let error) where error.code == "NOSCRIPT" {
            let reloaded = try await script.load(on: self)
            return try await send(RESPCommand("EVALSHA", reloaded, keys.count, keys, arguments))
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
        let sha: String
        if let known = script.sha1 {
            sha = known
        } else {
            sha = try await script.load(on: self)
        }
        for index in 0..<count { encode(index, .evalsha(sha), &encoder) }
        var replies = try await pipeline(encoder, timeout: timeout)
        let missing = replies.indices.filter { replies[$0].serverError?.code == "NOSCRIPT" }
        guard !missing.isEmpty else { return replies }
        let reloaded = try await script.load(on: self)
        encoder.reset()
        for index in missing { encode(index, .evalsha(reloaded), &encoder) }
        let retried = try await pipeline(encoder, timeout: timeout)
        for (index, reply) in zip(missing, retried) { replies[index] = reply }
        return replies
    }
}
