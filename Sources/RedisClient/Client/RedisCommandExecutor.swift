import RESP

/// Something that runs Redis commands: a single ``RedisConnection`` or a reconnecting ``RedisServerClient``.
///
/// Helpers written once against this protocol (scripts, typed conveniences) work with both.
public protocol RedisCommandExecutor: Sendable {
    /// Runs one command; an error reply is thrown as ``RedisError/server(_:)``.
    ///
    /// `timeout` replaces the configured command timeout; a blocking command must allow for its block time.
    func send(_ command: RESPCommand, timeout: Duration?) async throws -> RESPToken

    /// Writes the encoder's commands in one write and returns their replies in order.
    ///
    /// Error replies are returned as tokens (see ``RESPToken/serverError``), so one failing command does not
    /// hide the others' results.
    func pipeline(_ commands: RESPCommandEncoder, timeout: Duration?) async throws -> [RESPToken]
}

extension RedisCommandExecutor {
    /// Runs one command with the configured timeout.
    public func send(_ command: RESPCommand) async throws -> RESPToken {
        try await send(command, timeout: nil)
    }

    /// Runs one command given by name and arguments, such as `send("INCRBY", key, 5)`.
    public func send<each Argument: RESPArgument>(_ arguments: repeat each Argument) async throws -> RESPToken {
        try await send(RESPCommand(repeat each arguments), timeout: nil)
    }

    /// Runs a pipeline with the configured timeout.
    public func pipeline(_ commands: RESPCommandEncoder) async throws -> [RESPToken] {
        try await pipeline(commands, timeout: nil)
    }

    /// Runs a list of commands as one pipeline.
    public func pipeline(_ commands: [RESPCommand], timeout: Duration? = nil) async throws -> [RESPToken] {
        var encoder = RESPCommandEncoder()
        for command in commands { encoder.append(command) }
        return try await pipeline(encoder, timeout: timeout)
    }
}

extension RESPToken {
    /// The reply as a ``RedisServerError`` when it is an error reply.
    public var serverError: RedisServerError? {
        errorMessage.map(RedisServerError.init(message:))
    }

    /// The reply itself, or its error thrown as ``RedisError/server(_:)``.
    public func throwingServerError() throws(RedisError) -> RESPToken {
        if let error = serverError { throw .server(error) }
        return self
    }
}
