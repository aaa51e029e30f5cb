import Testing

@testable import RedisClient

/// Parses `url`, expecting it to be rejected, and returns the redacted URL and the reason of the error.
private func rejection(
    of url: String, sourceLocation: SourceLocation = #_sourceLocation
) -> (url: String, reason: String, description: String)? {
    do {
        let endpoint = try RedisEndpoint(url: url)
        Issue.record("expected \(url) to be rejected, got \(endpoint)", sourceLocation: sourceLocation)
        return nil
    } catch {
        guard case .invalidEndpoint(let shownURL, let reason) = error else {
            Issue.record("expected invalidEndpoint for \(url), got \(error)", sourceLocation: sourceLocation)
            return nil
        }
        return (shownURL, reason, "\(error)")
    }
}

@Suite struct RedisEndpointTests {
    // MARK: redis://

    @Test func plainHostGetsDefaultPortDatabaseZeroNoCredentialsAndNoTLS() throws {
        let endpoint = try RedisEndpoint(url: "redis://localhost")
        #expect(endpoint.address == .tcp(host: "localhost", port: 6379))
        #expect(RedisEndpoint.defaultPort == 6379)
        #expect(endpoint.database == 0)
        #expect(endpoint.username == nil)
        #expect(endpoint.password == nil)
        #expect(endpoint.tls == nil)
    }

    @Test func explicitPortAndDatabasePathAreParsed() throws {
        let endpoint = try RedisEndpoint(url: "redis://cache.internal:6380/3")
        #expect(endpoint.address == .tcp(host: "cache.internal", port: 6380))
        #expect(endpoint.database == 3)
    }

    @Test func trailingSlashWithoutDatabaseMeansDatabaseZero() throws {
        let endpoint = try RedisEndpoint(url: "redis://localhost:6379/")
        #expect(endpoint.database == 0)
    }

    @Test func databaseQueryOptionSelectsTheDatabase() throws {
        let endpoint = try RedisEndpoint(url: "redis://localhost?db=5")
        #expect(endpoint.address == .tcp(host: "localhost", port: 6379))
        #expect(endpoint.database == 5)
    }

    @Test func schemeIsCaseInsensitive() throws {
        let endpoint = try RedisEndpoint(url: "REDIS://localhost:7000")
        #expect(endpoint.address == .tcp(host: "localhost", port: 7000))
        #expect(endpoint.tls == nil)
    }

    @Test func userAndPasswordAreParsed() throws {
        let endpoint = try RedisEndpoint(url: "redis://alice:s3cret@db.example:6380/1")
        #expect(endpoint.username == "alice")
        #expect(endpoint.password == "s3cret")
        #expect(endpoint.address == .tcp(host: "db.example", port: 6380))
        #expect(endpoint.database == 1)
    }

    @Test func passwordWithoutUserLeavesUserNil() throws {
        let endpoint = try RedisEndpoint(url: "redis://:s3cret@localhost")
        #expect(endpoint.username == nil)
        #expect(endpoint.password == "s3cret")
        #expect(endpoint.address == .tcp(host: "localhost", port: 6379))
    }

    @Test func userWithoutPasswordLeavesPasswordNil() throws {
        let endpoint = try RedisEndpoint(url: "redis://alice@localhost")
        #expect(endpoint.username == "alice")
        #expect(endpoint.password == nil)
    }

    @Test(arguments: [
        ("redis://u:p%40ss@localhost", "p@ss"),
        ("redis://u:p%3Ass@localhost", "p:ss"),
        ("redis://u:p%2fss@localhost", "p/ss"),
        ("redis://u:100%25@localhost", "100%"),
        ("redis://u:caf%C3%A9@localhost", "café"),
        ("redis://u:a:b@localhost", "a:b"),
        ("redis://u:p@ss@localhost", "p@ss"),
    ])
    func passwordIsPercentDecoded(url: String, password: String) throws {
        let endpoint = try RedisEndpoint(url: url)
        #expect(endpoint.password == password)
        #expect(endpoint.username == "u")
        #expect(endpoint.address == .tcp(host: "localhost", port: 6379))
    }

    @Test func userNameIsPercentDecoded() throws {
        let endpoint = try RedisEndpoint(url: "redis://al%69ce%40corp:pw@localhost")
        #expect(endpoint.username == "alice@corp")
        #expect(endpoint.password == "pw")
    }

    @Test(arguments: ["redis://u:p%zz@localhost", "redis://u:p%4@localhost", "redis://u:p%@localhost", "redis://u:%FF@localhost"])
    func invalidPercentEncodingInPasswordIsRejected(url: String) throws {
        let rejected = try #require(rejection(of: url))
        #expect(rejected.reason.contains("password"))
        #expect(rejected.url.contains("***"))
    }

    // MARK: IPv6

    @Test func bracketedIPv6HostWithPortAndDatabase() throws {
        let endpoint = try RedisEndpoint(url: "redis://[::1]:6380/2")
        #expect(endpoint.address == .tcp(host: "::1", port: 6380))
        #expect(endpoint.database == 2)
    }

    @Test func bracketedIPv6HostWithoutPortGetsDefaultPort() throws {
        let endpoint = try RedisEndpoint(url: "redis://[2001:db8::1]")
        #expect(endpoint.address == .tcp(host: "2001:db8::1", port: 6379))
        #expect(endpoint.database == 0)
    }

    @Test func bracketedIPv6HostWithCredentials() throws {
        let endpoint = try RedisEndpoint(url: "redis://alice:pw@[fe80::1]:7000/4")
        #expect(endpoint.address == .tcp(host: "fe80::1", port: 7000))
        #expect(endpoint.username == "alice")
        #expect(endpoint.password == "pw")
        #expect(endpoint.database == 4)
    }

    @Test(arguments: ["redis://::1:6379", "redis://2001:db8::1", "redis://u:pw@::1", "rediss://fe80::1:6380/2"])
    func unbracketedIPv6HostIsRejectedWithAHintToUseBrackets(url: String) throws {
        let rejected = try #require(rejection(of: url))
        #expect(rejected.reason.contains("brackets"))
        #expect(rejected.reason.contains("[::1]"))
    }

    @Test func ipv6HostWithoutClosingBracketIsRejected() throws {
        let rejected = try #require(rejection(of: "redis://[::1:6379"))
        #expect(rejected.reason.contains("]"))
    }

    @Test(arguments: ["redis://[::1]6379", "redis://[::1]x"])
    func textAfterIPv6BracketThatIsNotAPortIsRejected(url: String) throws {
        let rejected = try #require(rejection(of: url))
        #expect(rejected.reason.contains("port"))
    }

    @Test func emptyBracketsAreAMissingHost() throws {
        let rejected = try #require(rejection(of: "redis://[]:6379"))
        #expect(rejected.reason.contains("host"))
    }

    // MARK: rediss://

    @Test func redissWithoutOptionsEnablesTLSWithFullVerification() throws {
        let endpoint = try RedisEndpoint(url: "rediss://redis.example")
        let tls = try #require(endpoint.tls)
        #expect(tls.verification == .full)
        #expect(tls == RedisTLSOptions())
        #expect(tls.caFile == nil)
        #expect(tls.certificateFile == nil)
        #expect(tls.keyFile == nil)
        #expect(tls.serverName == nil)
        #expect(endpoint.address == .tcp(host: "redis.example", port: 6379))
    }

    @Test func redissReadsCAClientCertificateKeySNIAndVerificationOptions() throws {
        let endpoint = try RedisEndpoint(
            url: "rediss://alice:pw@10.0.0.5:6380/2?ca=/etc/redis/ca.pem&cert=/etc/redis/client.pem"
                + "&key=/etc/redis/client.key&sni=redis.example&verify=no-hostname")
        let tls = try #require(endpoint.tls)
        #expect(tls.caFile == "/etc/redis/ca.pem")
        #expect(tls.certificateFile == "/etc/redis/client.pem")
        #expect(tls.keyFile == "/etc/redis/client.key")
        #expect(tls.serverName == "redis.example")
        #expect(tls.verification == .noHostname)
        #expect(endpoint.address == .tcp(host: "10.0.0.5", port: 6380))
        #expect(endpoint.database == 2)
        #expect(endpoint.username == "alice")
        #expect(endpoint.password == "pw")
    }

    @Test(arguments: [
        ("full", RedisTLSOptions.Verification.full),
        ("no-hostname", .noHostname),
        ("none", RedisTLSOptions.Verification.none),
    ])
    func verifyOptionSelectsTheVerificationMode(text: String, mode: RedisTLSOptions.Verification) throws {
        let endpoint = try RedisEndpoint(url: "rediss://localhost?verify=\(text)")
        #expect(endpoint.tls?.verification == mode)
    }

    @Test func unknownVerifyValueIsRejected() throws {
        let rejected = try #require(rejection(of: "rediss://localhost?verify=maybe"))
        #expect(rejected.reason.contains("verify"))
        #expect(rejected.reason.contains("maybe"))
    }

    @Test func tlsQueryValuesArePercentDecoded() throws {
        let endpoint = try RedisEndpoint(url: "rediss://localhost?ca=/certs/my%20ca.pem")
        #expect(endpoint.tls?.caFile == "/certs/my ca.pem")
    }

    @Test(arguments: ["rediss://localhost?cert=/c.pem", "rediss://localhost?key=/k.pem"])
    func clientCertificateAndKeyMustBeGivenTogether(url: String) throws {
        let rejected = try #require(rejection(of: url))
        #expect(rejected.reason.contains("cert and key"))
    }

    @Test func caOnlyIsAccepted() throws {
        let endpoint = try RedisEndpoint(url: "rediss://localhost?ca=/ca.pem")
        #expect(endpoint.tls?.caFile == "/ca.pem")
        #expect(endpoint.tls?.verification == .full)
    }

    // MARK: Rejected URLs

    @Test(arguments: ["http://localhost:6379", "redis+tls://localhost", "tcp://localhost:6379"])
    func unknownSchemeIsRejected(url: String) throws {
        let rejected = try #require(rejection(of: url))
        #expect(rejected.reason.contains("scheme"))
    }

    @Test(arguments: ["localhost:6379", "", "redis:/localhost"])
    func urlWithoutSchemeSeparatorIsRejected(url: String) throws {
        let rejected = try #require(rejection(of: url))
        #expect(rejected.reason.contains("redis://"))
    }

    @Test(arguments: ["0", "70000", "65536", "abc", "", "-1", "63 79"])
    func portOutsideOneTo65535OrNotANumberIsRejected(port: String) throws {
        let rejected = try #require(rejection(of: "redis://localhost:\(port)"))
        #expect(rejected.reason.contains("port"))
    }

    @Test(arguments: [1, 65535])
    func portsAtTheEdgesOfTheRangeAreAccepted(port: Int) throws {
        let endpoint = try RedisEndpoint(url: "redis://localhost:\(port)")
        #expect(endpoint.address == .tcp(host: "localhost", port: port))
    }

    @Test(arguments: ["redis://localhost/-1", "redis://localhost/abc", "redis://localhost?db=-2", "redis://localhost/1/2"])
    func negativeOrNonNumericDatabaseIsRejected(url: String) throws {
        let rejected = try #require(rejection(of: url))
        #expect(rejected.reason.contains("database number"))
    }

    @Test(arguments: ["redis://", "redis://:6379", "redis://u:pw@", "redis://u:pw@:6379/1"])
    func missingHostIsRejected(url: String) throws {
        let rejected = try #require(rejection(of: url))
        #expect(rejected.reason.contains("host is missing"))
    }

    // MARK: unix://

    @Test func unixSocketWithDatabaseQuery() throws {
        let endpoint = try RedisEndpoint(url: "unix:///tmp/r.sock?db=4")
        #expect(endpoint.address == .unix(path: "/tmp/r.sock"))
        #expect(endpoint.database == 4)
        #expect(endpoint.username == nil)
        #expect(endpoint.password == nil)
        #expect(endpoint.tls == nil)
    }

    @Test func unixSocketWithoutQueryUsesDatabaseZero() throws {
        let endpoint = try RedisEndpoint(url: "unix:///var/run/redis/redis.sock")
        #expect(endpoint.address == .unix(path: "/var/run/redis/redis.sock"))
        #expect(endpoint.database == 0)
    }

    @Test func unixSocketTakesUserAndPercentDecodedPasswordFromTheQuery() throws {
        let endpoint = try RedisEndpoint(url: "unix:///tmp/r.sock?user=alice&password=p%40ss&db=2")
        #expect(endpoint.address == .unix(path: "/tmp/r.sock"))
        #expect(endpoint.username == "alice")
        #expect(endpoint.password == "p@ss")
        #expect(endpoint.database == 2)
    }

    @Test func unixSocketTakesUserAndPasswordFromUserInfo() throws {
        let endpoint = try RedisEndpoint(url: "unix://alice:p%40ss@/tmp/r.sock?db=1")
        #expect(endpoint.address == .unix(path: "/tmp/r.sock"))
        #expect(endpoint.username == "alice")
        #expect(endpoint.password == "p@ss")
        #expect(endpoint.database == 1)
    }

    @Test(arguments: ["unix://tmp/r.sock", "unix://r.sock", "unix://", "unix://alice:pw@tmp/r.sock"])
    func relativeUnixSocketPathIsRejected(url: String) throws {
        let rejected = try #require(rejection(of: url))
        #expect(rejected.reason.contains("absolute"))
    }

    @Test(arguments: ["unix:///tmp/r.sock?db=-1", "unix:///tmp/r.sock?db=x"])
    func unixSocketWithBadDatabaseIsRejected(url: String) throws {
        let rejected = try #require(rejection(of: url))
        #expect(rejected.reason.contains("database number"))
    }

    // MARK: description

    @Test(arguments: [
        ("redis://localhost", "redis://localhost:6379"),
        ("redis://alice:s3cret@localhost:6380/1", "redis://alice:***@localhost:6380/1"),
        ("redis://:s3cret@localhost", "redis://:***@localhost:6379"),
        ("redis://alice@localhost", "redis://alice@localhost:6379"),
        ("redis://[::1]:6380/2", "redis://[::1]:6380/2"),
        ("redis://u:p%40ss@[2001:db8::1]", "redis://u:***@[2001:db8::1]:6379"),
        ("rediss://redis.example?verify=none", "rediss://redis.example:6379"),
        ("unix:///tmp/r.sock?db=4", "unix:///tmp/r.sock?db=4"),
        ("unix:///tmp/r.sock?user=alice&password=s3cret", "unix://alice:***@/tmp/r.sock"),
    ])
    func descriptionRedactsThePasswordAndBracketsIPv6Hosts(url: String, expected: String) throws {
        let endpoint = try RedisEndpoint(url: url)
        #expect(endpoint.description == expected)
        if let password = endpoint.password {
            #expect(!endpoint.description.contains(password))
        }
    }

    @Test(arguments: [
        "redis://localhost:6380/3", "redis://[::1]:6380/2", "redis://[2001:db8::1]:6379", "rediss://redis.example:6379",
        "unix:///tmp/r.sock?db=4", "redis://alice@localhost:6379",
    ])
    func descriptionOfAnEndpointWithoutPasswordParsesBackToTheSameEndpoint(url: String) throws {
        let endpoint = try RedisEndpoint(url: url)
        #expect(endpoint.description == url)
        #expect(try RedisEndpoint(url: endpoint.description) == endpoint)
    }

    @Test func descriptionOfAnEndpointBuiltFromPartsBracketsIPv6AndRedacts() {
        let endpoint = RedisEndpoint(address: .tcp(host: "fe80::2", port: 7001), password: "hunter2", database: 9)
        #expect(endpoint.description == "redis://:***@[fe80::2]:7001/9")
    }

    // MARK: Errors never repeat the password

    @Test(arguments: [
        "redis://u:topsecret@host:badport",
        "redis://u:topsecret@host:0",
        "redis://u:topsecret@host/-1",
        "redis://u:topsecret@host?db=x",
        "redis://:topsecret@::1:6379",
        "redis://u:topsecret@[::1",
        "redis://u:topsecret@",
        "redis://u:top%40secret@host:badport",
        "redis://u:topsecret@with@at@host:70000",
        "rediss://u:topsecret@host?verify=bogus",
        "rediss://u:topsecret@host?cert=/c.pem",
        "ftp://u:topsecret@host",
        "unix://u:topsecret@relative.sock",
        "unix://u:topsecret@/tmp/r.sock?db=-1",
    ])
    func invalidURLErrorNeverContainsThePassword(url: String) throws {
        let rejected = try #require(rejection(of: url))
        #expect(!rejected.description.contains("topsecret"))
        #expect(!rejected.description.contains("top@secret"))
        #expect(!rejected.description.contains("top%40secret"))
        #expect(!rejected.url.contains("topsecret"))
        #expect(rejected.url.contains("***"))
    }

    @Test func invalidURLErrorShowsTheRedactedURLAndTheReason() throws {
        let rejected = try #require(rejection(of: "redis://u:topsecret@host:badport"))
        #expect(rejected.url == "redis://u:***@host:badport")
        #expect(rejected.reason.contains("badport"))
        #expect(rejected.description.contains("redis://u:***@host:badport"))
    }

    @Test(arguments: [
        "unix:///tmp/r.sock?password=topsecret&db=-1",
        "unix:///tmp/r.sock?user=u&password=topsecret&db=x",
        "unix://relative.sock?password=topsecret",
        "unix:///tmp/r.sock?password=topsecret&user=%zz",
    ])
    func invalidUnixURLErrorNeverContainsAPasswordGivenAsQueryOption(url: String) throws {
        let rejected = try #require(rejection(of: url))
        #expect(!rejected.description.contains("topsecret"))
        #expect(!rejected.url.contains("topsecret"))
    }
}
