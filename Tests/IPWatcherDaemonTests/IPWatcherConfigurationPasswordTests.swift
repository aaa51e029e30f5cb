import Foundation
import RedisClient
import Testing

@testable import IPWatcherDaemon

@Suite("IPWatcherConfiguration: the Redis password, redaction and warnings")
struct IPWatcherConfigurationPasswordTests {
    /// Every way a configuration is shown; none may contain the password.
    static func shownForms(of configuration: IPWatcherConfiguration) -> [String] {
        var dumped = ""
        dump(configuration, to: &dumped)
        return [
            configuration.renderedYAML(), String(describing: configuration), String(reflecting: configuration),
            "\(configuration.redis)", dumped, configuration.warnings(filePath: nil).joined(separator: "\n"),
            (try? configuration.endpoint).map(String.init(describing:)) ?? "",
        ]
    }

    @Test("the password comes from the environment, else the password file, else the URL")
    func passwordPrecedence() async throws {
        try await withTemporaryDirectory { directory in
            let passwordFile = try writeFile("from-file-secret\n", to: directory + "/password")
            let url = "redis://user:from-url-secret@10.0.0.5:6379/1"
            let environment = ["IPWATCHER_REDIS_PASSWORD": "from-env-secret"]
            let secrets = ["from-file-secret", "from-url-secret", "from-env-secret"]

            let urlOnly = try await loadConfiguration(overrides: ["redis.url": url])
            #expect(urlOnly.passwordSource == "url")
            #expect(try urlOnly.endpoint.password == "from-url-secret")
            #expect(try urlOnly.endpoint.username == "user")

            let withFile = try await loadConfiguration(overrides: ["redis.url": url, "redis.password_file": passwordFile])
            #expect(withFile.passwordSource == "password_file")
            #expect(withFile.redis.password?.value == "from-file-secret")
            #expect(try withFile.endpoint.password == "from-file-secret")
            #expect(try withFile.endpoint.username == "user")
            #expect(try withFile.endpoint.database == 1)

            let withEnvironment = try await loadConfiguration(
                environment: environment, overrides: ["redis.url": url, "redis.password_file": passwordFile])
            #expect(withEnvironment.passwordSource == "environment")
            #expect(try withEnvironment.endpoint.password == "from-env-secret")

            // An empty variable counts as unset.
            let emptyEnvironment = try await loadConfiguration(
                environment: ["IPWATCHER_REDIS_PASSWORD": ""], overrides: ["redis.password_file": passwordFile])
            #expect(emptyEnvironment.passwordSource == "password_file")

            let environmentOnly = try await loadConfiguration(environment: environment)
            #expect(environmentOnly.passwordSource == "environment")
            #expect(try environmentOnly.endpoint.password == "from-env-secret")
            #expect(try environmentOnly.endpoint.username == nil)

            for configuration in [urlOnly, withFile, withEnvironment, environmentOnly] {
                for shown in Self.shownForms(of: configuration) {
                    for secret in secrets {
                        #expect(!shown.contains(secret), "\(shown)")
                    }
                }
            }
            #expect(urlOnly.renderedYAML().contains("url: \"redis://user:***@10.0.0.5:6379/1\"\n"))
            #expect(urlOnly.renderedYAML().contains("# Redis password: from redis.url."))
            #expect(withFile.renderedYAML().contains("# Redis password: from redis.password_file."))
            #expect(withFile.renderedYAML().contains("password_file: \(passwordFile)\n"))
            #expect(withEnvironment.renderedYAML().contains("# Redis password: from IPWATCHER_REDIS_PASSWORD."))
        }
    }

    @Test("a password in a file in the config file's redis.url is hidden too")
    func passwordInConfigFile() async throws {
        try await withTemporaryDirectory { directory in
            let path = try writeFile("redis:\n  url: redis://:file-url-secret@127.0.0.1:6379\n", to: directory + "/c.yaml")
            let loaded = try await loadConfiguration(file: path)
            #expect(loaded.passwordSource == "url")
            for shown in Self.shownForms(of: loaded) {
                #expect(!shown.contains("file-url-secret"), "\(shown)")
            }
        }
    }

    @Test("password files lose trailing line breaks only")
    func passwordFileContents() async throws {
        try await withTemporaryDirectory { directory in
            for (contents, password) in [("pw", "pw"), ("pw\n", "pw"), ("pw\r\n", "pw"), (" p w \n\n", " p w ")] {
                let path = try writeFile(contents, to: directory + "/password")
                let loaded = try await loadConfiguration(overrides: ["redis.password_file": path])
                #expect(loaded.redis.password?.value == password)
                #expect(loaded.redis.password?.source == .passwordFile)
            }
            let empty = try writeFile("\n", to: directory + "/empty")
            let error = try #require(await loadingError(overrides: ["redis.password_file": empty]))
            #expect(error.description == "redis.password_file: \"\(empty)\" is empty")
        }
    }

    @Test("a password file that cannot be read is an error showing its path, not its contents")
    func unreadablePasswordFile() async throws {
        try await withTemporaryDirectory { directory in
            let error = try #require(await loadingError(overrides: ["redis.password_file": directory]))
            #expect(error.description == "redis.password_file: \"\(directory)\" cannot be read: is a directory")
            // Not read at all when the environment supplies the password.
            let loaded = try await loadConfiguration(
                environment: ["IPWATCHER_REDIS_PASSWORD": "x"], overrides: ["redis.password_file": directory])
            #expect(loaded.passwordSource == "environment")
        }
    }

    @Test("RedisPassword prints as ***")
    func passwordWrapper() {
        let password = IPWatcherConfiguration.RedisPassword(value: "s3cret", source: .environment)
        var dumped = ""
        dump(password, to: &dumped)
        for shown in ["\(password)", String(reflecting: password), dumped, "\([password])"] {
            #expect(!shown.contains("s3cret"), "\(shown)")
        }
    }

    @Test("redactedURL hides every password form")
    func redactedURL() {
        let cases = [
            ("redis://127.0.0.1:6379", "redis://127.0.0.1:6379"),
            ("redis://user@host", "redis://user@host"),
            ("redis://user:pw@host:1/2", "redis://user:***@host:1/2"),
            ("redis://:pw@[::1]:6379", "redis://:***@[::1]:6379"),
            ("rediss://:p@w@host?ca=/ca.pem", "rediss://:***@host?ca=/ca.pem"),
            ("unix://user:pw@/run/redis.sock", "unix://user:***@/run/redis.sock"),
            ("unix:///run/redis.sock?db=1&password=pw", "unix:///run/redis.sock?db=1&password=***"),
        ]
        for (url, redacted) in cases {
            #expect(IPWatcherConfiguration.redactedURL(url) == redacted)
        }
    }

    @Test("a config file holding a password warns when group or others can read it")
    func fileModeWarnings() async throws {
        try await withTemporaryDirectory { directory in
            let withPassword = "redis:\n  url: redis://:mode-secret@127.0.0.1:6379\n"
            let open = try writeFile(withPassword, to: directory + "/open.yaml", mode: 0o644)
            let closed = try writeFile(withPassword, to: directory + "/closed.yaml", mode: 0o600)
            let noPassword = try writeFile("queue:\n  key: ips\n", to: directory + "/plain.yaml", mode: 0o644)

            let configuration = try await loadConfiguration(file: open)
            let warnings = configuration.warnings(filePath: open)
            #expect(warnings.count == 1)
            #expect(warnings.first?.hasPrefix("config file \(open) is readable by group or others (mode 644)") == true)
            #expect(warnings.allSatisfy { !$0.contains("mode-secret") })
            #expect(try await loadConfiguration(file: closed).warnings(filePath: closed) == [])
            #expect(try await loadConfiguration(file: noPassword).warnings(filePath: noPassword) == [])
            // The same URL from the environment is not in the file, so the file's mode does not matter.
            let fromEnvironment = try await loadConfiguration(
                file: noPassword, environment: ["IPWATCHER_REDIS_URL": "redis://:x@127.0.0.1:6379"])
            #expect(fromEnvironment.warnings(filePath: noPassword) == [])

            let passwordFile = try writeFile("pw\n", to: directory + "/password", mode: 0o640)
            let withPasswordFile = try await loadConfiguration(overrides: ["redis.password_file": passwordFile])
            #expect(
                withPasswordFile.warnings(filePath: nil)
                    == ["redis.password_file \(passwordFile) is readable by group or others (mode 640); chmod 600 it"])
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: passwordFile)
            #expect(withPasswordFile.warnings(filePath: nil) == [])
        }
    }

    @Test("warnings about TLS, clear-text passwords and dry-run mode")
    func otherWarnings() async throws {
        let remote = try await loadConfiguration(
            environment: ["IPWATCHER_REDIS_PASSWORD": "pw"], overrides: ["redis.url": "redis://10.0.0.5:6379"])
        #expect(remote.warnings(filePath: nil) == ["the Redis password is sent unencrypted to 10.0.0.5; use a rediss:// URL"])
        let local = try await loadConfiguration(environment: ["IPWATCHER_REDIS_PASSWORD": "pw"])
        #expect(local.warnings(filePath: nil) == [])
        let unverified = try await loadConfiguration(overrides: ["redis.url": "rediss://h:6380?verify=none"])
        #expect(
            unverified.warnings(filePath: nil)
                == ["Redis TLS certificate verification is off (verify none): the server is not authenticated"])
        let dryRun = try await loadConfiguration(overrides: ["detection.dry_run": "true"])
        #expect(dryRun.warnings(filePath: nil).count == 1)
    }

    @Test("the TLS section merges into a rediss:// URL's options")
    func tlsMerge() async throws {
        try await withTemporaryDirectory { directory in
            let ca = try writeFile("ca\n", to: directory + "/ca.pem")
            let urlOnly = try await loadConfiguration(overrides: ["redis.url": "rediss://h:6380?sni=a&verify=none"])
            #expect(try urlOnly.endpoint.tls == RedisTLSOptions(serverName: "a", verification: .none))

            let merged = try await loadConfiguration(overrides: [
                "redis.url": "rediss://h:6380?sni=a&verify=none&ca=/url-ca.pem", "redis.tls.ca_file": ca,
                "redis.tls.server_name": "b", "redis.tls.verify": "no-hostname",
            ])
            #expect(
                try merged.endpoint.tls == RedisTLSOptions(caFile: ca, serverName: "b", verification: .noHostname))

            let plain = try await loadConfiguration()
            #expect(try plain.endpoint.tls == nil)
            #expect(try plain.endpoint.address == .tcp(host: "127.0.0.1", port: 6379))
        }
    }
}
