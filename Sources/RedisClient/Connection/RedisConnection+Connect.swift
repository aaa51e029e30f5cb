import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import RESP

extension RedisConnection {
    /// Opens a connection and completes the handshake: TLS if asked, then `HELLO 3` with `AUTH` and
    /// `SETNAME` (or `AUTH`/`CLIENT SETNAME` on servers without `HELLO`), then `SELECT` for a non-zero database.
    ///
    /// A ``RedisEndpoint/Address/sentinel(_:)`` endpoint first asks its sentinels where the master is, and the
    /// connection goes there; see ``connectToMaster(_:of:configuration:eventLoopGroup:logger:onPush:)``.
    ///
    /// Throws ``RedisError/connectFailed(endpoint:cause:)`` when the server is unreachable,
    /// ``RedisError/server(_:)`` with `WRONGPASS` or `NOAUTH` when the credentials are refused, and
    /// ``RedisError/timeout(command:seconds:)`` when the whole handshake takes longer than the connect timeout.
    public static func connect(
        to endpoint: RedisEndpoint,
        configuration: RedisConnectionConfiguration = .init(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "ipwatcher.redis"),
        onPush: (@Sendable (RESPToken) -> Void)? = nil
    ) async throws -> RedisConnection {
        if case .sentinel(let master) = endpoint.address {
            return try await connectToMaster(
                master, of: endpoint, configuration: configuration, eventLoopGroup: eventLoopGroup, logger: logger,
                onPush: onPush)
        }
        let sslContext = try endpoint.tls.map { (options) throws(RedisError) in try makeSSLContext(options) }
        let serverName = endpoint.tls.flatMap { options in options.serverName ?? endpoint.sniHostName }
        var logger = logger
        logger[metadataKey: "redis"] = "\(endpoint)"
        let handlerLogger = logger
        let limits = configuration.parserLimits
        // The handler is made in the initializer and kept here, because looking it up in the pipeline after
        // connecting fails when the server closed the channel in the meantime (maxclients, a refused handshake).
        let handlerBox = NIOLockedValueBox<NIOLoopBound<RedisChannelHandler>?>(nil)

        var bootstrap = ClientBootstrap(group: eventLoopGroup)
            .connectTimeout(TimeAmount(configuration.connectTimeout))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        let tlsHandler = try NIOSSLClientHandler(context: sslContext, serverHostname: serverName)
                        try channel.pipeline.syncOperations.addHandler(tlsHandler)
                    }
                    let handler = RedisChannelHandler(parserLimits: limits, logger: handlerLogger, onPush: onPush)
                    try channel.pipeline.syncOperations.addHandler(handler)
                    handlerBox.withLockedValue { $0 = NIOLoopBound(handler, eventLoop: channel.eventLoop) }
                }
            }
        let channel: any Channel
        do {
            switch endpoint.address {
            case .tcp(let host, let port):
                bootstrap = bootstrap.channelOption(.tcpOption(.tcp_nodelay), value: 1)
                channel = try await bootstrap.connect(host: host, port: port).get()
            case .unix(let path):
                channel = try await bootstrap.connect(unixDomainSocketPath: path).get()
            case .sentinel:
                // Unreachable: resolved to the master's address above.
                throw RedisConnectFailure.other("a sentinel endpoint has no address of its own")
            }
        } catch {
            throw RedisError.connectFailed(endpoint: "\(endpoint)", cause: RedisConnectFailure(error))
        }
        guard let handler = handlerBox.withLockedValue({ $0 }) else {
            try? await channel.close()
            throw RedisError.connectFailed(endpoint: "\(endpoint)", cause: .closedDuringHandshake)
        }

        do {
            let version = try await handshake(
                channel: channel, handler: handler, endpoint: endpoint, configuration: configuration)
            logger.debug("connected to Redis", metadata: ["protocol": "RESP\(version)"])
            return RedisConnection(
                channel: channel, handler: handler, endpoint: endpoint, configuration: configuration,
                protocolVersion: version)
        } catch {
            try? await channel.close()
            if case RedisError.connectionClosed(let reason) = error, sslContext != nil {
                // Whether the handshake's first command was sent before or after TLS broke the channel, the cause
                // is the first reason.
                let cause = reason.hasPrefix(RedisError.closedEarlierPrefix)
                    ? String(reason.dropFirst(RedisError.closedEarlierPrefix.count)) : reason
                throw RedisError.connectFailed(endpoint: "\(endpoint)", cause: .tls(cause))
            }
            throw error
        }
    }

    /// Negotiates the protocol, authenticates, names the client and selects the database.
    private static func handshake(
        channel: any Channel, handler: NIOLoopBound<RedisChannelHandler>, endpoint: RedisEndpoint,
        configuration: RedisConnectionConfiguration
    ) async throws -> Int {
        // A provisional connection runs the handshake; all of it shares one deadline, the connect timeout.
        let provisional = RedisConnection(
            channel: channel, handler: handler, endpoint: endpoint, configuration: configuration,
            protocolVersion: 2)
        let deadline = ContinuousClock.now + configuration.connectTimeout
        func remaining() -> Duration { max(deadline - ContinuousClock.now, .milliseconds(1)) }
        var version = 2
        var needsLegacyAuth = endpoint.password != nil
        var needsSetName = configuration.clientName != nil

        if configuration.protocolPreference == .resp3 {
            let auth: [String] = endpoint.password.map { ["AUTH", endpoint.username ?? "default", $0] } ?? []
            let setName: [String] = configuration.clientName.map { ["SETNAME", $0] } ?? []
            do {
                _ = try await provisional.send(RESPCommand("HELLO", "3", auth, setName), timeout: remaining())
                version = 3
                needsLegacyAuth = false
                needsSetName = false
            } catch RedisError.server(let error)
                where error.code == "NOPROTO" || error.message.lowercased().contains("unknown command")
            {
                // Redis before 6 has no HELLO ("ERR unknown command 'HELLO'"); carry on in RESP2. Any other
                // error (maxclients, a refused password) is the real answer and ends the connect.
            }
        }
        var encoder = RESPCommandEncoder()
        if needsLegacyAuth, let password = endpoint.password {
            encoder.encode("AUTH", endpoint.username.map { [$0] } ?? [], password)
        }
        if needsSetName, let name = configuration.clientName { encoder.encode("CLIENT", "SETNAME", name) }
        if endpoint.database != 0 { encoder.encode("SELECT", endpoint.database) }
        if encoder.commandCount > 0 {
            for reply in try await provisional.pipeline(encoder, timeout: remaining()) {
                _ = try reply.throwingServerError()
            }
        }
        return version
    }

    private static func makeSSLContext(_ options: RedisTLSOptions) throws(RedisError) -> NIOSSLContext {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch options.verification {
        case .full: tls.certificateVerification = .fullVerification
        case .noHostname: tls.certificateVerification = .noHostnameVerification
        case .none: tls.certificateVerification = .none
        }
        do {
            if let caFile = options.caFile {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
            }
            if let certificateFile = options.certificateFile, let keyFile = options.keyFile {
                tls.certificateChain = try NIOSSLCertificate.fromPEMFile(certificateFile).map { .certificate($0) }
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem))
            }
            return try NIOSSLContext(configuration: tls)
        } catch {
            throw .tlsConfiguration(
                "cannot load \(options.caFile ?? "") \(options.certificateFile ?? "") \(options.keyFile ?? ""): \(error)")
        }
    }
}

extension RedisEndpoint {
    /// The host name to send in SNI and verify, or nil for an IP literal (SNI carries names only).
    var sniHostName: String? {
        guard case .tcp(let host, _) = address else { return nil }
        if host.contains(":") { return nil }
        if host.split(separator: ".").count == 4, host.allSatisfy({ $0.isNumber || $0 == "." }) { return nil }
        return host
    }
}
