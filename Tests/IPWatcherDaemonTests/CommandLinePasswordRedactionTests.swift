import IPWatcherDaemon
import Testing

/// What `ipwatcher` writes over a command-line argument that holds a Redis password (see the executable's
/// CommandLinePasswordScrubber; DaemonPasswordSecrecyTests reads the result back from /proc/<pid>/cmdline).
@Suite("Command-line password redaction")
struct CommandLinePasswordRedactionTests {
    static func redacted(_ argument: String) -> String? {
        CommandLinePasswordRedaction.redacted(Array(argument.utf8)).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test("passwords in the user info and in password= options become ***, everything else stays",
        arguments: [
            ("redis://worker:s3cret-Pa55@10.0.0.5:6379/2", "redis://worker:***@10.0.0.5:6379/2"),
            ("redis://:s3cret@127.0.0.1", "redis://:***@127.0.0.1"),
            ("rediss://w:s3cret@redis.internal:6380?ca=/etc/ca.pem&sni=r", "rediss://w:***@redis.internal:6380?ca=/etc/ca.pem&sni=r"),
            ("--redis-url=redis://:s3cret@127.0.0.1:6379", "--redis-url=redis://:***@127.0.0.1:6379"),
            ("unix:///run/redis.sock?db=1&password=s3cret", "unix:///run/redis.sock?db=1&password=***"),
            ("unix://w:s3cret@/run/redis.sock?user=w&password=an0ther", "unix://w:***@/run/redis.sock?user=w&password=***"),
            // A raw colon or slash in the password is still the password: the user info ends at the last @.
            ("redis://w:pa:ss/wd@host", "redis://w:***@host"),
        ])
    func passwordsAreReplaced(argument: String, expected: String) {
        #expect(Self.redacted(argument) == expected)
    }

    @Test("a password shorter than three bytes gets as many stars, so the text always fits in place")
    func shortPasswordsFit() throws {
        #expect(Self.redacted("redis://:ab@h") == "redis://:**@h")
        #expect(Self.redacted("redis://:a@h") == "redis://:*@h")
        for argument in ["redis://:ab@h", "redis://u:abcdefgh@h?password=x", "unix:///s?password=p&password=q"] {
            let result = try #require(CommandLinePasswordRedaction.redacted(Array(argument.utf8)))
            #expect(result.count <= argument.utf8.count, "\(argument)")
        }
    }

    @Test("arguments without a password are left alone",
        arguments: [
            "redis://127.0.0.1:6379", "redis://worker@127.0.0.1", "redis://worker:@127.0.0.1", "unix:///run/r.sock?db=2",
            "run", "--redis-url", "203.0.113.7", "", "user:pass@host", "unix:///r.sock?password=",
        ])
    func argumentsWithoutPasswordsAreUntouched(argument: String) {
        #expect(Self.redacted(argument) == nil)
    }
}
