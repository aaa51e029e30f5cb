import Foundation
import RedisClient
import Testing

@testable import IPWatcherDaemon

@Suite("IPWatcherConfiguration: invalid values and unknown keys")
struct IPWatcherConfigurationValidationTests {
    /// A bad raw value for a key and the exact one-line error it must produce.
    static let invalidValues: [(key: String, value: String, description: String)] = [
        ("detection.threshold", "abc", #"detection.threshold: "abc" is not an integer from 1 to 1000000000"#),
        ("detection.threshold", "0", #"detection.threshold: "0" is not an integer from 1 to 1000000000"#),
        ("detection.threshold", "1.5", #"detection.threshold: "1.5" is not an integer from 1 to 1000000000"#),
        ("detection.window", "86401", #"detection.window: "86401" is not an integer from 1 to 86400"#),
        ("detection.window", "0", #"detection.window: "0" is not an integer from 1 to 86400"#),
        ("detection.ipv4_prefix", "33", #"detection.ipv4_prefix: "33" is not an integer from 0 to 32"#),
        ("detection.ipv6_prefix", "-1", #"detection.ipv6_prefix: "-1" is not an integer from 0 to 128"#),
        ("detection.mode", "leaky", #"detection.mode: "leaky" is not one of fixed, rolling, sliding"#),
        ("detection.dry_run", "maybe", #"detection.dry_run: "maybe" is not true or false"#),
        (
            "detection.allowlist", "10.0.0.0/8,10.0.0.0/33",
            #"detection.allowlist: "10.0.0.0/33" is not an IP network in CIDR notation (10.0.0.0/8, 2001:db8::/32)"#
        ),
        (
            "detection.allowlist", "example.com",
            #"detection.allowlist: "example.com" is not an IP network in CIDR notation (10.0.0.0/8, 2001:db8::/32)"#
        ),
        (
            "detection.key_prefix", "ip watcher:",
            #"detection.key_prefix: "ip watcher:" must be non-empty, without spaces or control characters"#
        ),
        (
            "detection.key_prefix", "",
            #"detection.key_prefix: "" must be non-empty, without spaces or control characters"#
        ),
        ("detection.counters", "hashes", #"detection.counters: "hashes" is not one of keys, buckets"#),
        ("detection.buckets", "0", #"detection.buckets: "0" is not an integer from 1 to 1048576"#),
        ("detection.buckets", "2000000", #"detection.buckets: "2000000" is not an integer from 1 to 1048576"#),
        ("detection.buckets", "many", #"detection.buckets: "many" is not an integer from 1 to 1048576"#),
        ("redis.scripts", "lua", #"redis.scripts: "lua" is not one of eval, functions"#),
        ("queue.key", "", #"queue.key: "" is empty; this key needs a value"#),
        ("queue.pop", "middle", #"queue.pop: "middle" is not one of left, right"#),
        ("redis.max_bulk_bytes", "4096", #"redis.max_bulk_bytes: "4096" is not an integer from 65536 to 536870912"#),
        ("queue.batch", "0", #"queue.batch: "0" is not an integer from 1 to 100000"#),
        ("queue.batch", "100001", #"queue.batch: "100001" is not an integer from 1 to 100000"#),
        ("queue.block_timeout", "0.001", #"queue.block_timeout: "0.001" is not a number of seconds from 0.01 to 60"#),
        ("queue.block_timeout", "61", #"queue.block_timeout: "61" is not a number of seconds from 0.01 to 60"#),
        ("queue.rejected_max", "0", #"queue.rejected_max: "0" is not an integer from 1 to 10000000"#),
        (
            "queue.delivery", "exactly-once",
            #"queue.delivery: "exactly-once" is not one of at-least-once, at-most-once"#
        ),
        ("queue.worker_id", "web 1", #"queue.worker_id: "web 1" may hold only letters, digits and - _ . @"#),
        ("queue.worker_id", "{0}", #"queue.worker_id: "{0}" may hold only letters, digits and - _ . @"#),
        ("blocklist.key", "", #"blocklist.key: "" is empty; this key needs a value"#),
        ("blocklist.ban_seconds", "-1", #"blocklist.ban_seconds: "-1" is not an integer from 0 to 315360000"#),
        (
            "redis.connect_timeout", "0",
            #"redis.connect_timeout: "0" is not a number of seconds > 0 (at most 86400)"#
        ),
        (
            "redis.command_timeout", "inf",
            #"redis.command_timeout: "inf" is not a number of seconds > 0 (at most 86400)"#
        ),
        (
            "redis.command_timeout", "-5",
            #"redis.command_timeout: "-5" is not a number of seconds > 0 (at most 86400)"#
        ),
        ("redis.client_name", "ip watcher", #"redis.client_name: "ip watcher" must not contain spaces or control characters"#),
        ("redis.tls.verify", "maybe", #"redis.tls.verify: "maybe" is not one of full, no-hostname, none"#),
        ("log.level", "loud", #"log.level: "loud" is not one of trace, debug, info, notice, warning, error, critical"#),
        ("log.format", "logfmt", #"log.format: "logfmt" is not one of text, json"#),
        (
            "redis.url", "http://127.0.0.1",
            #"redis.url: "http://127.0.0.1" is not a valid Redis URL: unknown scheme "http"; use redis, rediss, unix or redis+sentinel"#
        ),
        (
            "redis.password_file", "/nonexistent/password",
            #"redis.password_file: "/nonexistent/password" does not exist"#
        ),
        (
            "redis.tls.ca_file", "/nonexistent/ca.pem",
            #"redis.tls.ca_file: "/nonexistent/ca.pem" is set, but redis.url is not a rediss:// (TLS) URL"#
        ),
        ("detection.threshold", "12\nab", #"detection.threshold: "12\nab" is not an integer from 1 to 1000000000"#),
    ]

    @Test("an invalid value from the environment or an override names the key and shows the value")
    func invalidValues() async throws {
        for (key, value, description) in Self.invalidValues {
            let name = IPWatcherConfiguration.environmentVariableName(forKey: key)
            for error in [await loadingError(environment: [name: value]), await loadingError(overrides: [key: value])] {
                let error = try #require(error, "\(key)=\(value)")
                #expect(error.key == key)
                #expect(error.description == description)
                #expect(!error.description.contains("\n"))
            }
        }
    }

    @Test("an invalid value in the file is reported the same way")
    func invalidValueInFile() async throws {
        try await withTemporaryDirectory { directory in
            let path = try writeFile("detection:\n  threshold: abc\n", to: directory + "/c.yaml")
            let error = try #require(await loadingError(file: path))
            #expect(error.description == #"detection.threshold: "abc" is not an integer from 1 to 1000000000"#)
            // A valid override hides the file's bad value, as precedence says.
            #expect(try await loadConfiguration(file: path, overrides: ["detection.threshold": "3"]).detection.threshold == 3)
        }
    }

    @Test("errors about the Redis URL never show its password")
    func urlErrorsHidePassword() async throws {
        for url in [
            "redis://:hunter2@127.0.0.1:99999", "redis://user:hunter2@[::1", "redis://:hunter2@host/notadb",
            "redis://:hun/ter2@host:99999", "unix:///run/redis.sock?password=hunter2&db=x",
        ] {
            let error = try #require(await loadingError(environment: ["IPWATCHER_REDIS_URL": url]), "\(url)")
            #expect(error.key == "redis.url")
            #expect(!error.description.contains("hunter2"), "\(error)")
            #expect(error.description.contains("***"), "\(error)")
        }
        let error = try #require(await loadingError(overrides: ["redis.url": "redis://:hunter2@127.0.0.1:0"]))
        #expect(
            error.description
                == #"redis.url: "redis://:***@127.0.0.1:0" is not a valid Redis URL: port "0" is not a number from 1 to 65535"#
        )
    }

    @Test("an unknown key in the file is an error that names it")
    func unknownKeyInFile() async throws {
        try await withTemporaryDirectory { directory in
            let path = try writeFile("queue:\n  key: ips\n  batchsize: 10\n", to: directory + "/c.yaml")
            let error = try #require(await loadingError(file: path))
            #expect(error.key == "queue.batchsize")
            #expect(error.description == "unknown key queue.batchsize in \(path) line 3 (did you mean queue.batch?)")
            #expect(error.description.hasPrefix("unknown key queue.batchsize"))

            let section = try writeFile("queu:\n  key: ips\n", to: directory + "/d.yaml")
            let sectionError = try #require(await loadingError(file: section))
            #expect(sectionError.description == "unknown key queu in \(section) line 1 (did you mean queue?)")

            let nested = try writeFile("redis:\n  tls:\n    verfy: none\n", to: directory + "/e.yaml")
            #expect(try #require(await loadingError(file: nested)).key == "redis.tls.verfy")

            let unrelated = try writeFile("colour: blue\n", to: directory + "/f.yaml")
            #expect(try #require(await loadingError(file: unrelated)).description == "unknown key colour in \(unrelated) line 1")

            // The password is not a key: it must not sit in the file.
            let password = try writeFile("redis:\n  password: hunter2\n", to: directory + "/g.yaml")
            let passwordError = try #require(await loadingError(file: password))
            #expect(passwordError.key == "redis.password")
            #expect(passwordError.description.hasSuffix("(did you mean redis.password_file?)"))
            #expect(!passwordError.description.contains("hunter2"))
        }
    }

    @Test("an unknown override key is an error")
    func unknownOverrideKey() async throws {
        let error = try #require(await loadingError(overrides: ["detection.treshold": "5"]))
        #expect(error.key == "detection.treshold")
        #expect(
            error.description
                == "unknown key detection.treshold in the command-line overrides (did you mean detection.threshold?)")
    }

    @Test("a misspelt IPWATCHER_ variable is refused like a misspelt key, naming the variable it most likely means")
    func unknownEnvironmentVariable() async throws {
        let cases: [(variable: String, description: String)] = [
            ("IPWATCHER_DETECTION_TRESHOLD",
             "unknown environment variable IPWATCHER_DETECTION_TRESHOLD (did you mean IPWATCHER_DETECTION_THRESHOLD?)"),
            ("IPWATCHER_QUEUE_BATCHSIZE",
             "unknown environment variable IPWATCHER_QUEUE_BATCHSIZE (did you mean IPWATCHER_QUEUE_BATCH?)"),
            ("IPWATCHER_REDIS_PASWORD",
             "unknown environment variable IPWATCHER_REDIS_PASWORD (did you mean IPWATCHER_REDIS_PASSWORD?)"),
            ("IPWATCHER_COMPLETELY_DIFFERENT", "unknown environment variable IPWATCHER_COMPLETELY_DIFFERENT"),
        ]
        for (variable, description) in cases {
            let error = try #require(await loadingError(environment: [variable: "s3cr3t-5"]), "\(variable)")
            #expect(error.key == variable)
            #expect(error.description == description)
            // The value may be a password under a misspelt name: never shown.
            #expect(!error.description.contains("s3cr3t"))
        }
    }

    @Test("the project's other IPWATCHER_ variables and the password variables are not refused")
    func otherEnvironmentVariablesPass() async throws {
        let environment = [
            "IPWATCHER_HOSTILE_SEED": "7", "IPWATCHER_TEST_LOG_LEVEL": "debug", "IPWATCHER_REDIS_PASSWORD": "pw",
            "IPWATCHER_DETECTION_THRESHOLD": "5", "HOME": "/root", "IPWATCHERX": "1",
        ]
        #expect(try await loadConfiguration(environment: environment).detection.threshold == 5)
    }

    @Test("values of the wrong shape in the file are errors, not silent defaults")
    func wrongShapes() async throws {
        let cases: [(yaml: String, description: String)] = [
            ("detection:\n  threshold: [1, 2]\n", "detection.threshold: needs a single value, not a list (in PATH line 2)"),
            ("detection:\n  threshold:\n    value: 3\n", "detection.threshold: needs a value, not a section (in PATH line 2)"),
            ("redis: localhost\n", "redis: is a section and needs keys under it (in PATH line 1)"),
            ("queue:\n  rejected_key: ~\n", #"queue.rejected_key: ~ is not allowed; write "" or leave the key out (in PATH line 2)"#),
            ("queue:\n  key: null\n", #"queue.key: null is not allowed; write "" or leave the key out (in PATH line 2)"#),
            ("detection:\n  allowlist:\n    - [10.0.0.0/8]\n", "detection.allowlist: entry 1 is not a single value (in PATH line 2)"),
            ("queue:\n  key: a\nqueue.key: b\n", "queue.key: is set twice (again in PATH line 3)"),
            (
                "queue:\n  key: a\n  key: b\n",
                #"config file "PATH" is not valid YAML: duplicate key "key" in the mapping at line 2"#
            ),
            ("- redis\n", #"config file "PATH" must be a mapping of sections (redis:, …)"#),
        ]
        try await withTemporaryDirectory { directory in
            let path = directory + "/c.yaml"
            for (yaml, description) in cases {
                try writeFile(yaml, to: path)
                let error = try #require(await loadingError(file: path), "\(yaml)")
                #expect(error.description == description.replacingOccurrences(of: "PATH", with: path), "\(yaml)")
            }
        }
    }

    @Test("a file that is not YAML or cannot be read is a one-line error")
    func unreadableFiles() async throws {
        try await withTemporaryDirectory { directory in
            let broken = try writeFile("redis:\n  url: [unclosed\n", to: directory + "/broken.yaml")
            let error = try #require(await loadingError(file: broken))
            #expect(error.key == "")
            #expect(error.description.hasPrefix("config file \"\(broken)\" is not valid YAML: line "))
            #expect(!error.description.contains("\n"))

            let directoryError = try #require(await loadingError(file: directory, fileIsExplicit: false))
            #expect(directoryError.description == "config file \"\(directory)\" cannot be read: is a directory")

            let binary = directory + "/binary.yaml"
            try Data([0x72, 0x3A, 0xFF, 0xFE]).write(to: URL(fileURLWithPath: binary))
            #expect(try #require(await loadingError(file: binary)).description == "config file \"\(binary)\" is not UTF-8 text")
        }
    }

    @Test("TLS settings must fit the URL")
    func tlsConsistency() async throws {
        try await withTemporaryDirectory { directory in
            let pem = try writeFile("not really a certificate\n", to: directory + "/ca.pem")
            let certOnly = try #require(
                await loadingError(overrides: ["redis.url": "rediss://h:6380", "redis.tls.cert_file": pem]))
            #expect(certOnly.description == "redis.tls.cert_file: \"\(pem)\" needs redis.tls.key_file (or key= in redis.url)")

            let both = try await loadConfiguration(overrides: [
                "redis.url": "rediss://h:6380", "redis.tls.cert_file": pem, "redis.tls.key_file": pem,
            ])
            #expect(try both.endpoint.tls == RedisTLSOptions(certificateFile: pem, keyFile: pem))

            let unreadable = try #require(
                await loadingError(overrides: ["redis.url": "rediss://h:6380", "redis.tls.ca_file": directory + "/none.pem"]))
            #expect(
                unreadable.description
                    == "redis.tls.ca_file: \"\(directory)/none.pem\" cannot be read: No such file or directory")

            let verifyOnPlain = try #require(await loadingError(overrides: ["redis.tls.verify": "none"]))
            #expect(
                verifyOnPlain.description == #"redis.tls.verify: "none" is set, but redis.url is not a rediss:// (TLS) URL"#)
        }
    }

    @Test(
        "allowlist entries are checked like IPNetwork does",
        arguments: [
            ("10.0.0.0/8", true), ("10.1.2.3/8", true), ("192.0.2.7", true), ("0.0.0.0/0", true), ("::/0", true),
            ("::1/128", true), ("2001:db8::/32", true), ("fe80::1", true), ("::ffff:10.0.0.1/104", true),
            ("1:2:3:4:5:6:7:8/64", true), ("1:2:3:4:5:6:1.2.3.4", true), ("ABCD::ef/16", true),
            ("10.0.0.0/33", false), ("10.0.0.0/08", false), ("10.0.0.0/", false), ("10.0.0/8", false),
            ("010.0.0.0/8", false), ("256.0.0.0/8", false), ("::/129", false), ("1::2::3", false), (":::", false),
            ("1:2:3:4:5:6:7:8:9", false), ("1:2:3:4:5:6:7::8", false), ("fe80::1%eth0", false), ("", false),
            ("10.0.0.0/+8", false), ("12345::", false), ("g::1", false), ("[::1]", false), ("１0.0.0.0", false),
        ])
    func cidrNotation(text: String, isValid: Bool) {
        #expect(CIDRNotation.isValid(text) == isValid)
    }
}
