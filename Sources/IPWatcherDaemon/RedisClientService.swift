import RedisClient
import ServiceLifecycle

/// Runs a ``RedisClient``'s connection upkeep as a service, ending it on graceful shutdown.
///
/// Place these services first in the group: a group shuts down in reverse order, so the clients stay up
/// while the consumer finishes its last batch.
public struct RedisClientService: Service {
    /// The client kept connected.
    public let client: RedisClient

    /// Wraps `client`.
    public init(client: RedisClient) {
        self.client = client
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await client.run()
        }
    }
}
