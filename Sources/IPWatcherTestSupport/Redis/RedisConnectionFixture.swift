import RedisClient

/// Connects to `url` (the test's own connection, beside whatever the test exercises), runs `body`, and closes the
/// connection at once afterwards, whatever happened.
public func withConnection<Result>(
    _ url: String,
    configuration: RedisConnectionConfiguration = RedisConnectionConfiguration(),
    _ body: (RedisConnection) async throws -> Result
) async throws -> Result {
    let connection = try await RedisConnection.connect(to: RedisEndpoint(url: url), configuration: configuration)
    do {
        let result = try await body(connection)
        await connection.closeNow()
        return result
    } catch {
        await connection.closeNow()
        throw error
    }
}
