import Logging
import NIOCore
import RESP

extension RedisSentinelMaster {
    /// The endpoint of one sentinel: its address, the sentinels' own login, and `tls`, since a
    /// `rediss+sentinel://` URL speaks TLS to the sentinels as to the master.
    func endpoint(of sentinel: Sentinel, tls: RedisTLSOptions?) -> RedisEndpoint {
        RedisEndpoint(
            address: .tcp(host: sentinel.host, port: sentinel.port), username: username, password: password,
            tls: tls)
    }

    /// Connects to the first sentinel that accepts, trying them in order.
    ///
    /// Throws ``RedisSentinelError/noSentinelAnswered(master:failures:)`` naming each sentinel's failure, except
    /// when every sentinel refused the credentials: then the first refusal is thrown as it came, so a client
    /// treats a wrong sentinel password as it treats a wrong Redis password.
    func connectToSentinel(
        tls: RedisTLSOptions?, configuration: RedisConnectionConfiguration, eventLoopGroup: any EventLoopGroup,
        logger: Logger, onPush: (@Sendable (RESPToken) -> Void)? = nil
    ) async throws -> RedisConnection {
        var failures: [(Sentinel, any Error)] = []
        for sentinel in sentinels {
            do {
                return try await RedisConnection.connect(
                    to: endpoint(of: sentinel, tls: tls), configuration: sentinelConfiguration(configuration),
                    eventLoopGroup: eventLoopGroup, logger: logger, onPush: onPush)
            } catch {
                if Task.isCancelled { throw error }
                failures.append((sentinel, error))
            }
        }
        throw Self.failure(of: name, failures)
    }

    /// Asks the sentinels in order for the master's address and returns the first answer.
    func masterAddress(
        tls: RedisTLSOptions?, configuration: RedisConnectionConfiguration, eventLoopGroup: any EventLoopGroup,
        logger: Logger
    ) async throws -> (host: String, port: Int) {
        var failures: [(Sentinel, any Error)] = []
        for sentinel in sentinels {
            do {
                let connection = try await RedisConnection.connect(
                    to: endpoint(of: sentinel, tls: tls), configuration: sentinelConfiguration(configuration),
                    eventLoopGroup: eventLoopGroup, logger: logger)
                defer { connection.channel.close(promise: nil) }
                return try await masterAddress(on: connection)
            } catch {
                if Task.isCancelled { throw error }
                failures.append((sentinel, error))
            }
        }
        throw Self.failure(of: name, failures)
    }

    /// `SENTINEL GET-MASTER-ADDR-BY-NAME` on a sentinel connection.
    ///
    /// During a failover a sentinel already answers with the replica it promotes, before `+switch-master`.
    func masterAddress(on connection: RedisConnection) async throws -> (host: String, port: Int) {
        let reply = try await connection.send(RESPCommand("SENTINEL", "GET-MASTER-ADDR-BY-NAME", name))
        if reply.isNull {
            throw RedisError.unexpectedReply(
                command: "SENTINEL GET-MASTER-ADDR-BY-NAME",
                reply: "no master named \"\(name)\" is monitored there; check the name after the hosts in the URL")
        }
        let parts = reply.array.map { Array($0) } ?? []
        guard parts.count == 2, let host = parts[0].string,
            let port = parts[1].string.flatMap({ Int($0) }), (1...65535).contains(port)
        else {
            throw RedisError.unexpectedReply(command: "SENTINEL GET-MASTER-ADDR-BY-NAME", reply: "\(reply)")
        }
        return (host, port)
    }

    /// The configuration for talking to sentinels: the caller's, except that no error code is fatal there, since
    /// another sentinel may still answer.
    private func sentinelConfiguration(_ configuration: RedisConnectionConfiguration) -> RedisConnectionConfiguration {
        var sentinel = configuration
        sentinel.fatalConnectErrorCodes = []
        return sentinel
    }

    private static func failure(of name: String, _ failures: [(Sentinel, any Error)]) -> any Error {
        let refusals = failures.compactMap { _, error -> RedisError? in
            guard case RedisError.server(let server) = error,
                RedisConnectionConfiguration.authenticationErrorCodes.contains(server.code)
            else { return nil }
            return .server(server)
        }
        if !failures.isEmpty, refusals.count == failures.count { return refusals[0] }
        return RedisSentinelError.noSentinelAnswered(
            master: name,
            failures: failures.map { sentinel, error in "\(sentinel): \(RedisConnectFailure.cause(of: error))" })
    }
}
