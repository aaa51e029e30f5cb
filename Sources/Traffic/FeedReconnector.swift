import Logging
import RedisClient

/// Re-establishes the feed's connection after Redis went away, with the worker's kind of backoff.
struct FeedReconnector: Sendable {
    let endpoint: RedisEndpoint
    let configuration: RedisConnectionConfiguration
    let logger: Logger

    /// Whether `error` means the connection is gone or Redis is not ready yet (worth reconnecting and sending
    /// again), as opposed to Redis refusing a command or a configuration problem, which retrying cannot fix.
    static func isConnectionLoss(_ error: any Error) -> Bool {
        guard let error = error as? RedisError else { return true }
        switch error {
        case .server(let serverError):
            return serverError.isTransient
        case .unexpectedReply, .invalidEndpoint, .tlsConfiguration, .transactionAborted, .shutdown:
            return false
        case .connectionClosed, .connectFailed, .timeout, .protocolViolation, .notConnected:
            return true
        }
    }

    /// A new connection in place of `lost`, once Redis answers again.
    ///
    /// Retries until it connects or the task is cancelled, logging as ``ConnectionFailureReporter`` decides (the
    /// first failure, a change of cause, every 30 s, the return); refused credentials end the feed instead, since
    /// waiting cannot fix them.
    func connection(replacing lost: RedisConnection) async throws -> RedisConnection {
        await lost.closeNow()
        var failures = ConnectionFailureReporter()
        var attempts = 0
        while true {
            try Task.checkCancellation()
            do {
                let connection = try await RedisConnection.connect(
                    to: endpoint, configuration: configuration, logger: logger)
                if let report = failures.connected(at: .now) {
                    report.log(to: logger, failure: "cannot reconnect to Redis", recovery: "reconnected to Redis")
                } else {
                    logger.notice("reconnected to Redis")
                }
                return connection
            } catch let error as RedisError
                where error.serverErrorCode.map(RedisConnectionConfiguration.authenticationErrorCodes.contains) == true
            {
                throw error
            } catch {
                attempts += 1
                failures.failed(RedisConnectFailure.cause(of: error), at: .now)?
                    .log(to: logger, failure: "cannot reconnect to Redis", recovery: "reconnected to Redis")
                try await Task.sleep(for: configuration.backoff.delay(attempt: attempts))
            }
        }
    }
}
