import UnixSignals

/// Runs `body` until it returns or the process gets SIGINT or SIGTERM; then `body` is cancelled (which stops
/// whatever it started) and `interrupted` is thrown, for the command to say so and exit 130.
func untilInterrupted<Result: Sendable>(
    throwing interrupted: @escaping @Sendable () -> any Error,
    _ body: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
    return try await withThrowingTaskGroup(of: Result?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            for await _ in signals { throw interrupted() }
            return nil
        }
        defer { group.cancelAll() }
        while let result = try await group.next() {
            if let result { return result }
        }
        throw interrupted()
    }
}
