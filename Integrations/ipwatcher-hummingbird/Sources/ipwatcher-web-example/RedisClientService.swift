import RedisClient
import ServiceLifecycle

/// Keeps the `--naive` recipe's Redis connection up as one of the application's services, until graceful shutdown.
struct RedisClientService: Service {
    let client: RedisServerClient

    func run() async throws {
        try await cancelWhenGracefulShutdown { try await client.run() }
    }
}
