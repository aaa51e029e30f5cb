import Logging
import NIOCore
import RESP

extension RedisConnection {
    /// Asks the sentinels for `master`'s address, connects there with `endpoint`'s login, database and TLS, and
    /// checks with `ROLE` that the server is a master.
    ///
    /// The returned connection's ``endpoint`` is the server it reached (`.tcp`), so its owner can tell whether a
    /// later `+switch-master` concerns it. The check matters because sentinels name the promoted replica as soon
    /// as a failover starts, before it has taken the role, and a stale sentinel may name a demoted master; either
    /// way the connect fails with ``RedisSentinelError/notMaster(master:address:role:)`` and the caller retries.
    static func connectToMaster(
        _ master: RedisSentinelMaster, of endpoint: RedisEndpoint, configuration: RedisConnectionConfiguration,
        eventLoopGroup: any EventLoopGroup, logger: Logger, onPush: (@Sendable (RESPToken) -> Void)?
    ) async throws -> RedisConnection {
        let (host, port) = try await master.masterAddress(
            tls: endpoint.tls, configuration: configuration, eventLoopGroup: eventLoopGroup, logger: logger)
        var server = endpoint
        server.address = .tcp(host: host, port: port)
        let connection = try await connect(
            to: server, configuration: configuration, eventLoopGroup: eventLoopGroup, logger: logger, onPush: onPush)
        do {
            let reply = try await connection.send(RESPCommand("ROLE"))
            let role = reply.array.flatMap { Array($0).first?.string } ?? "\(reply)"
            guard role == "master" else {
                throw RedisSentinelError.notMaster(master: master.name, address: "\(server)", role: role)
            }
            return connection
        } catch {
            await connection.closeNow()
            throw error
        }
    }
}

extension RedisConnection {
    /// Closes the connection, with a warning, if it is open to another server than `master`, the address
    /// sentinels now give; for owners of a sentinel-found connection following a ``RedisSentinelWatcher``, whose
    /// reconnect then asks the sentinels again.
    public func closeUnlessConnected(to master: RedisEndpoint.Address, logger: Logger) {
        guard isActive, endpoint.address != master else { return }
        logger.warning(
            "the sentinels name another master; reconnecting",
            metadata: ["connected": "\(endpoint)", "master": "\(RedisEndpoint(address: master))"])
        channel.close(promise: nil)
    }
}
