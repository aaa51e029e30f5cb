import Detection
import Foundation
import IPWatcherDaemon
import IPWatcherTestSupport
import LocalRedis
import RESP
import RedisClient
import Testing

/// `ipwatcher blocklist …` and the store under it, against a private redis-server.
@Suite(.needsRedisServer)
struct BlocklistCommandTests {
    @Test func checkExitsZeroForABlockedAddressAndOneForAnotherAndTwoForGarbage() async throws {
        try await withRedisServer { server in
            try await withScratchDirectory { scratch in
                let url = ["--redis-url", server.url]
                let added = try await runIPWatcher(["blocklist", "add", "203.0.113.7"] + url, in: scratch)
                #expect(added.outcome.status == 0)

                let blocked = try await runIPWatcher(["blocklist", "check", "203.0.113.7"] + url, in: scratch)
                #expect(blocked.outcome.status == 0)
                #expect(blocked.stdout.contains("blocked: 203.0.113.7"))

                let other = try await runIPWatcher(["blocklist", "check", "203.0.113.8"] + url, in: scratch)
                #expect(other.outcome.status == 1)
                #expect(other.stdout.contains("not blocked: 203.0.113.8"))

                let garbage = try await runIPWatcher(["blocklist", "check", "not-an-ip"] + url, in: scratch)
                #expect(garbage.outcome.status == 2)
            }
        }
    }

    @Test func checkCanonicalisesLikeTheWorker() async throws {
        try await withRedisServer { server in
            try await withScratchDirectory { scratch in
                let url = ["--redis-url", server.url]
                // The worker blocks IPv6 clients by their /64 and mapped IPv4 clients by the IPv4 address.
                try await withConnection(server.url) { connection async throws in
                    _ = try await connection.send("SADD", "blocklist", "2001:db8:1:2::/64", "198.51.100.4")
                }
                let rotated = try await runIPWatcher(
                    ["blocklist", "check", "2001:DB8:1:2:ffff:0:0:1"] + url, in: scratch)
                #expect(rotated.outcome.status == 0)
                #expect(rotated.stdout.contains("2001:db8:1:2::/64"))
                let mapped = try await runIPWatcher(["blocklist", "check", "::ffff:198.51.100.4"] + url, in: scratch)
                #expect(mapped.outcome.status == 0)
                let otherSubnet = try await runIPWatcher(["blocklist", "check", "2001:db8:1:3::1"] + url, in: scratch)
                #expect(otherSubnet.outcome.status == 1)
            }
        }
    }

    @Test func addWithBanSecondsRecordsAnExpiryAndRemoveClearsBothKeys() async throws {
        try await withRedisServer { server in
            try await withScratchDirectory { scratch in
                let url = ["--redis-url", server.url]
                let before = WallClock().nowMilliseconds()
                let added = try await runIPWatcher(
                    ["blocklist", "add", "192.0.2.9", "--ban-seconds", "120"] + url, in: scratch)
                #expect(added.outcome.status == 0)
                try await withConnection(server.url) { connection async throws in
                    let score = try #require(try await connection.send("ZSCORE", "ipwatcher:bans", "192.0.2.9").double)
                    #expect(Int64(score) >= before + 120_000)
                    #expect(Int64(score) <= WallClock().nowMilliseconds() + 120_000)
                }
                let listed = try await runIPWatcher(["blocklist", "list"] + url, in: scratch)
                #expect(listed.stdout.contains("192.0.2.9"))
                #expect(listed.stdout.contains("m") && listed.stdout.contains("left"))

                let removed = try await runIPWatcher(["blocklist", "remove", "192.0.2.9"] + url, in: scratch)
                #expect(removed.outcome.status == 0)
                try await withConnection(server.url) { connection async throws in
                    #expect(try await connection.send("SISMEMBER", "blocklist", "192.0.2.9").bool == false)
                    #expect(try await connection.send("ZSCORE", "ipwatcher:bans", "192.0.2.9").isNull)
                }
                let again = try await runIPWatcher(["blocklist", "remove", "192.0.2.9"] + url, in: scratch)
                #expect(again.outcome.status == 1)
            }
        }
    }

    @Test func permanentAddLeavesNoExpiryAndListSaysPermanent() async throws {
        try await withRedisServer { server in
            try await withScratchDirectory { scratch in
                let url = ["--redis-url", server.url]
                _ = try await runIPWatcher(["blocklist", "add", "192.0.2.10", "--ban-seconds", "60"] + url, in: scratch)
                _ = try await runIPWatcher(["blocklist", "add", "192.0.2.10", "--ban-seconds", "0"] + url, in: scratch)
                try await withConnection(server.url) { connection async throws in
                    #expect(try await connection.send("ZSCORE", "ipwatcher:bans", "192.0.2.10").isNull)
                }
                let listed = try await runIPWatcher(["blocklist", "list", "--json"] + url, in: scratch)
                #expect(listed.stdout.contains("{\"unit\":\"192.0.2.10\",\"expires_at\":null,\"range\":false}"))
            }
        }
    }

    /// The web tier's mirrors learn of manual changes from these events, as they learn of the worker's blocks.
    @Test("blocklist add and remove announce the change on the events channel; removing nothing announces nothing")
    func manualChangesAreAnnounced() async throws {
        try await withRedisServer { server in
            try await withScratchDirectory { scratch in
                let url = ["--redis-url", server.url]
                let events = try await ChannelSubscriber(port: try #require(server.port), channel: "ipwatcher:events")
                let before = WallClock().nowMilliseconds()
                _ = try await runIPWatcher(["blocklist", "add", "192.0.2.30", "--ban-seconds", "60"] + url, in: scratch)
                let block = try #require(try await events.nextMessage())
                #expect(block.hasPrefix(#"{"event":"block","unit":"192.0.2.30","expires_at":"#), "\(block)")
                #expect(block.hasSuffix(#","manual":true}"#), "\(block)")
                let expiresAt = try #require(Int64(block.split(separator: ",")[2].split(separator: ":")[1]))
                #expect(expiresAt >= before + 60_000 && expiresAt <= WallClock().nowMilliseconds() + 60_000)

                _ = try await runIPWatcher(["blocklist", "add", "192.0.2.31", "--ban-seconds", "0"] + url, in: scratch)
                let permanent = try #require(try await events.nextMessage())
                #expect(permanent.contains(#""unit":"192.0.2.31","expires_at":null"#), "\(permanent)")

                _ = try await runIPWatcher(["blocklist", "remove", "192.0.2.30"] + url, in: scratch)
                let unblock = try #require(try await events.nextMessage())
                #expect(unblock.hasPrefix(#"{"event":"unblock","unit":"192.0.2.30","at":"#), "\(unblock)")

                let again = try await runIPWatcher(["blocklist", "remove", "192.0.2.30"] + url, in: scratch)
                #expect(again.outcome.status == 1)
                #expect(try await events.messages(during: .milliseconds(300)).isEmpty)
            }
        }
    }

    @Test func unreachableRedisExitsTwoWithOneLine() async throws {
        try await withScratchDirectory { scratch in
            let result = try await runIPWatcher(
                ["blocklist", "check", "192.0.2.1", "--redis-url", "redis://127.0.0.1:1"], in: scratch)
            #expect(result.outcome.status == 2)
            #expect(result.stderr.count == 1)
            #expect(result.stderr.first == "ipwatcher: cannot connect to redis://127.0.0.1:1: connection refused")
        }
    }

    @Test("--redis-url and --blocklist work before the subcommand's name as after it")
    func connectionOptionsBeforeTheSubcommand() async throws {
        try await withRedisServer { server in
            try await withScratchDirectory { scratch in
                let before = ["blocklist", "--redis-url", server.url, "--blocklist", "bl-before"]
                let added = try await runIPWatcher(before + ["add", "192.0.2.20"], in: scratch)
                #expect(added.outcome.status == 0, "\(added.stderr)")
                let checkedAfter = try await runIPWatcher(
                    ["blocklist", "check", "192.0.2.20", "--redis-url", server.url, "--blocklist", "bl-before"],
                    in: scratch)
                #expect(checkedAfter.outcome.status == 0, "\(checkedAfter.stderr)")
                let listedBefore = try await runIPWatcher(before + ["list"], in: scratch)
                #expect(listedBefore.stdout.contains("192.0.2.20"), "\(listedBefore)")
                let removed = try await runIPWatcher(before + ["remove", "192.0.2.20"], in: scratch)
                #expect(removed.outcome.status == 0, "\(removed.stderr)")
                try await withConnection(server.url) { connection async throws in
                    #expect(try await connection.send("SCARD", "bl-before").int == 0)
                }
                // Before and after, mixed: the later --blocklist wins, as a repeated option does.
                let mixed = try await runIPWatcher(
                    ["blocklist", "--redis-url", server.url, "--blocklist", "ignored", "add", "192.0.2.21",
                     "--blocklist", "bl-after"], in: scratch)
                #expect(mixed.outcome.status == 0, "\(mixed.stderr)")
                try await withConnection(server.url) { connection async throws in
                    #expect(try await connection.send("SISMEMBER", "bl-after", "192.0.2.21").bool == true)
                    #expect(try await connection.send("EXISTS", "ignored").int == 0)
                }
                // A config file named before the subcommand is read.
                let config = try scratch.write("blocklist:\n  key: bl-config\n", to: "ipwatcher.yaml")
                let fromFile = try await runIPWatcher(
                    ["blocklist", "--config", config, "--redis-url", server.url, "add", "192.0.2.22"], in: scratch)
                #expect(fromFile.outcome.status == 0, "\(fromFile.stderr)")
                try await withConnection(server.url) { connection async throws in
                    #expect(try await connection.send("SISMEMBER", "bl-config", "192.0.2.22").bool == true)
                }
            }
        }
    }

    @Test("redis --redis-url URL install-functions reaches the server named before the subcommand")
    func installFunctionsWithOptionsBefore() async throws {
        try await withRedisServer { server in
            try await withScratchDirectory { scratch in
                let result = try await runIPWatcher(
                    ["redis", "--redis-url", server.url, "install-functions"], in: scratch)
                #expect(result.outcome.status == 0, "\(result.stderr)")
                try await withConnection(server.url) { connection async throws in
                    let libraries = try await connection.send("FUNCTION", "LIST")
                    #expect("\(libraries)".contains("ipwatcher"), "\(libraries)")
                }
            }
        }
    }
}
