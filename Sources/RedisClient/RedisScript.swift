import RESP
import Synchronization

/// A Lua script run with `EVALSHA`, loaded on first use and again whenever the server has forgotten it.
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
