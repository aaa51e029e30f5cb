import Foundation
import IPWatcherTestSupport
import LocalRedis
import RESP
import RedisClient
import Testing

@Suite("Authentication against a real redis-server", .serialized, .needsRedisServer, .timeLimit(.minutes(10)), .measuresTime)
struct AuthenticationIntegrationTests {
    static let password = "s3cret"

    static var passwordOptions: LocalRedisServerOptions {
        var options = LocalRedisServerOptions()
        options.password = password
        return options
    }

    static var aclOptions: LocalRedisServerOptions {
        var options = LocalRedisServerOptions()
        options.aclUsers = ["app on >apppass ~app:* +@all"]
        return options
    }

    /// The URL of `server` with `credentials` (already percent-encoded) inserted after the scheme.
    static func url(_ server: LocalRedisServer, credentials: String) -> String {
        server.url.replacingOccurrences(of: "redis://", with: "redis://\(credentials)@")
    }

    /// Both protocols: the handshake authenticates with `HELLO … AUTH` in RESP3 and with `AUTH` in RESP2.
    static let protocols: [RedisConnectionConfiguration.ProtocolPreference] = [.resp3, .resp2]

    static func configuration(_ preference: RedisConnectionConfiguration.ProtocolPreference) -> RedisConnectionConfiguration {
        var configuration = RedisConnectionConfiguration()
        configuration.protocolPreference = preference
        return configuration
    }

    @Test("redis://:password@host:port authenticates", arguments: protocols)
    func passwordInURLAuthenticates(protocolPreference: RedisConnectionConfiguration.ProtocolPreference) async throws {
        try await withRedisServer(Self.passwordOptions) { server in
            let url = Self.url(server, credentials: ":\(Self.password)")
            try await withConnection(url, configuration: Self.configuration(protocolPreference)) { connection async throws in
                #expect(connection.protocolVersion == (protocolPreference == .resp3 ? 3 : 2))
                #expect(try await connection.send("PING").string == "PONG")
                #expect(try await connection.send("ACL", "WHOAMI").string == "default")
            }
        }
    }

    @Test("Connecting without the password fails quickly with NOAUTH")
    func missingPasswordFailsWithNOAUTH() async throws {
        try await withRedisServer(Self.passwordOptions) { server in
            let clock = ContinuousClock()
            let start = clock.now
            let error = await #expect(throws: RedisError.self) {
                try await withConnection(server.url) { _ in }
            }
            #expect(error?.serverErrorCode == "NOAUTH", "\(String(describing: error))")
            #expect(start.duration(to: clock.now) < .seconds(2))
        }
    }

    /// The default user (`requirepass`) and an ACL user; the error never repeats the wrong password.
    @Test(
        "A wrong password fails with WRONGPASS, for the default user and an ACL user",
        arguments: [(passwordOptions, "", "wr0ng-pw"), (aclOptions, "app", "n0pe-pw")])
    func wrongPasswordFailsWithWRONGPASS(options: LocalRedisServerOptions, user: String, password: String) async throws {
        try await withRedisServer(options) { server in
            let error = await #expect(throws: RedisError.self) {
                try await withConnection(Self.url(server, credentials: "\(user):\(password)")) { _ in }
            }
            #expect(error?.serverErrorCode == "WRONGPASS", "\(String(describing: error))")
            #expect(!"\(String(describing: error))".contains(password))
        }
    }

    @Test("An ACL user reaches its own keys; a key outside its pattern fails with NOPERM", arguments: protocols)
    func aclUserIsLimitedToItsKeys(protocolPreference: RedisConnectionConfiguration.ProtocolPreference) async throws {
        try await withRedisServer(Self.aclOptions) { server in
            let url = Self.url(server, credentials: "app:apppass")
            try await withConnection(url, configuration: Self.configuration(protocolPreference)) { app async throws in
                #expect(try await app.send("ACL", "WHOAMI").string == "app")
                #expect(try await app.send("SET", "app:counter", 1).string == "OK")
                #expect(try await app.send("INCR", "app:counter").int == 2)
                let error = await #expect(throws: RedisError.self) {
                    try await app.send("SET", "other:counter", 1)
                }
                #expect(error?.serverErrorCode == "NOPERM", "\(String(describing: error))")
                // Permission errors are ordinary server errors: the connection stays usable.
                #expect(try await app.send("GET", "app:counter").int == 2)
            }
        }
    }


    @Test("Neither RedisEndpoint.description nor any thrown error shows the password")
    func passwordNeverAppearsInDescriptions() async throws {
        try await withRedisServer(Self.passwordOptions) { server in
            let secret = "Sup3r-S3cret-Pw"
            let port = try #require(server.port)
            let socketPath = try #require(server.socketPath)
            let urls = [
                "redis://:\(secret)@127.0.0.1:\(port)",
                "redis://app:\(secret)@127.0.0.1:\(port)/2",
                "rediss://app:\(secret)@localhost:\(port)?verify=none",
                "unix://:\(secret)@\(socketPath)?db=1",
                "unix://\(socketPath)?password=\(secret)",
            ]
            for url in urls {
                let endpoint = try RedisEndpoint(url: url)
                #expect(endpoint.password == secret)
                #expect(!endpoint.description.contains(secret), "\(endpoint)")
                #expect(endpoint.description.contains("***"), "\(endpoint)")
            }

            var descriptions: [String] = []
            // Refused credentials (WRONGPASS), over TCP and the unix socket.
            for url in [urls[0], urls[3]] {
                do {
                    _ = try await withConnection(url) { _ in }
                    Issue.record("\(url.replacingOccurrences(of: secret, with: "***")) connected with a wrong password")
                } catch {
                    descriptions.append("\(error)")
                    descriptions.append(String(reflecting: error))
                }
            }
            // Nothing listening (connectFailed carries the endpoint).
            let refusing = try LoopbackSocket(.refusing)
            do {
                _ = try await withConnection("redis://:\(secret)@127.0.0.1:\(refusing.port)") { _ in }
                Issue.record("connected to a port where nothing listens")
            } catch {
                #expect((error as? RedisError)?.kind == "connectFailed", "\(error)")
                descriptions.append("\(error)")
                descriptions.append(String(reflecting: error))
            }
            // A malformed URL (invalidEndpoint carries the URL).
            do {
                _ = try RedisEndpoint(url: "redis://:\(secret)@127.0.0.1:notaport")
                Issue.record("a URL with a non-numeric port parsed")
            } catch {
                descriptions.append("\(error)")
                descriptions.append(String(reflecting: error))
            }
            #expect(descriptions.count == 8)
            for description in descriptions {
                let shown = description.replacingOccurrences(of: secret, with: "<PASSWORD>")
                #expect(!description.contains(secret), "leaks the password: \(shown)")
            }
        }
    }

    @Test("A password with URL-special characters works when percent-encoded in the URL")
    func percentEncodedPasswordAuthenticates() async throws {
        let password = "p@ss:w/rd?#% \"x"
        var options = LocalRedisServerOptions()
        options.password = password
        try await withRedisServer(options) { server in
            let encoded = "p%40ss%3Aw%2Frd%3F%23%25%20%22x"
            let endpoint = try RedisEndpoint(url: Self.url(server, credentials: ":\(encoded)"))
            #expect(endpoint.password == password)
            try await withConnection(Self.url(server, credentials: ":\(encoded)")) { connection async throws in
                #expect(try await connection.send("PING").string == "PONG")
            }
        }
    }

    @Test("A URL whose raw password holds / or ? never shows any part of the password", arguments: [
        "redis://:Pw1st/Pw2nd@127.0.0.1:6379",
        "redis://:Pw1st?Pw2nd@127.0.0.1:6379",
        "redis://app:Pw1st/Pw2nd@127.0.0.1:6379/0",
        "redis://app:Pw1st?Pw2nd@127.0.0.1:6379/x",
        "unix://:Pw1st?Pw2nd@/tmp/redis.sock",
        "unix://:Pw1st/Pw2nd@/tmp/redis.sock?db=x",
    ])
    func rawSpecialCharactersInPasswordAreNeverShown(url: String) {
        // Not percent-encoded, so strictly not a valid URL; users paste such URLs anyway, and both the endpoint's
        // description and a parse error end up in logs.
        let shown: String
        do {
            shown = try RedisEndpoint(url: url).description
        } catch {
            shown = "\(error)"
        }
        #expect(!shown.contains("Pw1st") && !shown.contains("Pw2nd"), "shows (part of) the password: \(shown)")
    }
}
