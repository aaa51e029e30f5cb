extension LocalRedisServer {
    /// Runs `body` against the Redis at `url` or, without one, against a private redis-server started for it
    /// (temporary directory, unix socket only, no persistence) and stopped afterwards, also when `body` throws.
    ///
    /// `body` gets the URL to use and the server when one was started (nil for a given URL), for what only a
    /// local server offers, such as its pid.
    public static func withPrivateServer<Result>(
        unless url: String?, _ body: (_ url: String, _ started: LocalRedisServer?) async throws -> Result
    ) async throws -> Result {
        if let url { return try await body(url, nil) }
        var options = LocalRedisServerOptions()
        options.tcp = false
        let server = try await start(options)
        do {
            let result = try await body(server.url, server)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }
}
