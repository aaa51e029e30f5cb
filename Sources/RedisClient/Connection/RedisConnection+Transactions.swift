import RESP

extension RedisConnection {
    /// Runs `commands` between `MULTI` and `EXEC` in one round trip and returns `EXEC`'s replies.
    ///
    /// Throws ``RedisError/transactionAborted`` when a key under `WATCH` changed since it was watched (the
    /// caller retries its read-check-write), and ``RedisError/server(_:)`` when Redis refused to queue a command
    /// (`EXECABORT`). Errors of individual commands that ran are returned as error tokens, as Redis reports them.
    public func transaction(_ commands: [RESPCommand]) async throws -> [RESPToken] {
        var encoder = RESPCommandEncoder()
        encoder.encode("MULTI")
        for command in commands { encoder.append(command) }
        encoder.encode("EXEC")
        let replies = try await pipeline(encoder)
        guard let exec = replies.last else {
            throw RedisError.unexpectedReply(command: "EXEC", reply: "no reply")
        }
        // A command that failed to queue makes EXEC fail with EXECABORT; report the command's own error.
        if exec.isError, let queueError = replies.dropFirst().dropLast().first(where: \.isError)?.serverError {
            throw RedisError.server(queueError)
        }
        let result = try exec.withoutAttributes.throwingServerError()
        if result.isNull { throw RedisError.transactionAborted }
        guard let elements = result.array else {
            throw RedisError.unexpectedReply(command: "EXEC", reply: result.description)
        }
        return Array(elements)
    }

    /// Watches `keys` for the optimistic check-and-set pattern: read, decide, then ``transaction(_:)``.
    public func watch(_ keys: String...) async throws {
        _ = try await send(RESPCommand("WATCH", keys))
    }

    /// Stops watching all keys, for when the check decides not to write.
    public func unwatch() async throws {
        _ = try await send(RESPCommand("UNWATCH"))
    }
}
