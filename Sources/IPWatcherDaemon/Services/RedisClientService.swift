import RedisClient
import ServiceLifecycle

/// Runs a ``RedisClient/RedisRouter``'s connection upkeep (one server's connection, or a cluster's slot map and
/// node connections) as a service, ending it on graceful shutdown.
///
/// Place these services first in the group: a group shuts down in reverse order, so the clients stay up
/// while the consumer finishes its last batch.
public struct RedisClientService: Service {
    /// The client kept connected.
    public let client: RedisRouter

    /// Wraps `client`.
    public init(client: RedisRouter) {
        self.client = client
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await client.run()
        }
    }
}
