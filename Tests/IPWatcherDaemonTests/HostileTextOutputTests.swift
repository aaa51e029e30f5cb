import Foundation
import IPWatcherTestSupport
import Logging
import RedisClient
import Testing

@testable import IPWatcherDaemon

/// Text that someone else controls (blocklist members added by hand, queue entries from producers) reaches JSON
/// events, `--json` output, the `list` table and log lines; none of it can add fields, records or lines.
@Suite("Hostile text in events, JSON output and log lines", .needsRedisServer, .timeLimit(.minutes(10)))
struct HostileTextOutputTests {
    /// Members and values with quotes, JSON and log syntax, line breaks and control characters.
    static let hostile: [String] = [
        #"x","unit":"8.8.8.8","forged":true,"y":""#,
        "line\nbreak 2026-01-01T00:00:00.000Z notice ipwatcher: forged line",
        "tab\there\rcarriage",
        "ctl\u{01}\u{1b}[31m\u{7f}\u{85}",
        #"back\slash "quoted" unit="9.9.9.9""#,
        "separators\u{2028}\u{2029}",
        "ünïcödé 😀 198.51.100.0/24",
        "",
    ]

    @Test("JSONObjectWriter output parses back to exactly the fields written")
    func jsonWriterRoundTrips() throws {
        for value in Self.hostile {
            var writer = JSONObjectWriter()
            writer.add("event", "unblock")
            writer.add(value, value)
            writer.add("at", Int64(1_767_225_600_123))
            writer.add("expires_at", nil as Int64?)
            writer.add("count", 15)
            writer.add("dry_run", false)
            let json = writer.json
            #expect(!json.unicodeScalars.contains { $0.value < 0x20 || $0 == "\u{2028}" || $0 == "\u{2029}" }, "\(json)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any], "\(json)")
            #expect(object.count == 6, "\(json)")
            #expect(object[value] as? String == value, "\(json)")
            #expect((object["at"] as? NSNumber)?.int64Value == 1_767_225_600_123, "\(json)")
            #expect(object["expires_at"] is NSNull, "\(json)")
        }
        #expect(JSONObjectWriter.quoted("\u{0}\u{1f}\u{08}\u{0c}") == #""\u0000\u001f\b\f""#)
    }

    @Test("a log line stays one line and each metadata value reads back exactly")
    func logLineRoundTrips() throws {
        for value in Self.hostile {
            let line = LogLineFormatter.line(
                timestampMilliseconds: 1_767_225_600_123, level: .notice, label: "ipwatcher",
                message: "blocking \(value)", metadata: ["unit": "\(value)", "count": "15"])
            #expect(line.hasPrefix("2026-01-01T00:00:00.123Z notice ipwatcher: blocking "), "\(line)")
            #expect(!line.unicodeScalars.contains { $0.properties.generalCategory == .control }, "\(line)")
            #expect(!line.contains("\u{2028}") && !line.contains("\u{2029}"), "\(line)")
            let metadata = try #require(LogLineFields(line, message: "blocking \(value)"), "\(line)")
            #expect(metadata.values == ["count": "15", "unit": value], "\(line)")
        }
        #expect(LogLineFormatter.timestamp(-1) == "1969-12-31T23:59:59.999Z")
    }

    @Test("unblock events from the expiry script are JSON with exactly event, unit and a whole-millisecond at")
    func unblockEventsAreEncoded() async throws {
        try await withRedisServer { server in
            try await withConnection(server.url) { redis async throws in
                for member in Self.hostile {
                    _ = try await redis.send("SADD", "blocklist", member)
                    _ = try await redis.send("ZADD", "ipwatcher:bans", 1000, member)
                }
                let subscriber = try await ChannelSubscriber(port: try #require(server.port), channel: "events")
                let now = nowMilliseconds()
                let removed = try await redis.evaluate(
                    BlocklistScripts.expire, keys: ["blocklist", "ipwatcher:bans", "ipwatcher:bans:info"],
                    arguments: ["\(now)", "500", "events"])
                #expect(removed.array?.count == Self.hostile.count)
                var units: [String] = []
                for _ in Self.hostile {
                    let message = try #require(try await subscriber.nextMessage(within: .seconds(5)), "an event is missing")
                    let object = try #require(
                        try JSONSerialization.jsonObject(with: Data(message.utf8)) as? [String: Any], "\(message)")
                    #expect(Set(object.keys) == ["event", "unit", "at"], "\(message)")
                    #expect(object["event"] as? String == "unblock", "\(message)")
                    #expect(message.contains("\"at\":\(now)"), "at must be the whole millisecond \(now): \(message)")
                    units.append(try #require(object["unit"] as? String, "\(message)"))
                }
                #expect(units.sorted() == Self.hostile.sorted())
            }
        }
    }

    @Test("blocklist list prints one record per member, as JSON with exact fields and as one line each")
    func blocklistListIsEncoded() async throws {
        try await withRedisServer { server in
            try await withScratchDirectory { scratch in
                let expiresAt: Int64 = 4_102_444_800_000
                try await withConnection(server.url) { redis async throws in
                    for (index, member) in Self.hostile.enumerated() {
                        _ = try await redis.send("SADD", "blocklist", member)
                        if index.isMultiple(of: 2) { _ = try await redis.send("ZADD", "ipwatcher:bans", expiresAt, member) }
                    }
                }
                let url = ["--redis-url", server.url]
                let json = try await runIPWatcher(["blocklist", "list", "--json"] + url, in: scratch)
                #expect(json.outcome.status == 0, "\(json.stderr)")
                let entries = try #require(
                    try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]], "\(json.stdout)")
                #expect(entries.count == Self.hostile.count, "\(json.stdout)")
                for entry in entries {
                    #expect(Set(entry.keys) == ["unit", "expires_at", "range"], "\(entry)")
                    let unit = try #require(entry["unit"] as? String)
                    let index = try #require(Self.hostile.firstIndex(of: unit), "unknown unit \(unit)")
                    if index.isMultiple(of: 2) {
                        #expect((entry["expires_at"] as? NSNumber)?.int64Value == expiresAt, "\(entry)")
                    } else {
                        #expect(entry["expires_at"] is NSNull, "\(entry)")
                    }
                }

                let text = try await runIPWatcher(["blocklist", "list"] + url, in: scratch)
                #expect(text.outcome.status == 0, "\(text.stderr)")
                let lines = text.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
                #expect(lines.count == Self.hostile.count, "\(text.stdout)")
                #expect(!text.stdout.unicodeScalars.contains { $0 != "\n" && $0.properties.generalCategory == .control })
                #expect(lines.contains { $0.hasPrefix(#""x\",\"unit\":\"8.8.8.8\""#) }, "\(text.stdout)")
            }
        }
    }

    @Test("the daemon's ban, unban and rejected-entry log lines stay one line each with their values quoted")
    func daemonLogLinesAreQuoted() async throws {
        // Entries the parser refuses: spaces and quotes that read like fields, a line break, an escape sequence.
        let rejected = [#"1.2.3.4" reason="forged" x=""#, "5.6.7.8\n2026-01-01T00:00:00.000Z notice ipwatcher: fake", "\u{1b}[2J", "a b"]
        try await withRedisServer { server in
            try await withScratchDirectory { scratch in
                try await withConnection(server.url) { redis async throws in
                    for member in Self.hostile {
                        _ = try await redis.send("SADD", "blocklist", member)
                        _ = try await redis.send("ZADD", "ipwatcher:bans", 1000, member)
                    }
                    try await redis.push(rejected + hits("198.51.100.90", 15))
                }
                let config = try scratch.write("queue:\n  block_timeout: 0.1\nlog:\n  level: info\n", to: "ipwatcher.yaml")
                try await withDaemon(["run", "--config", config, "--redis-url", server.url], in: scratch) { daemon in
                    try await waitUntil("the daemon logged the bans, unbans and rejections", within: .seconds(20)) {
                        let lines = daemon.standardErrorLines
                        return lines.filter { $0.contains(": ban ended: unblocking") }.count == Self.hostile.count
                            && lines.filter { $0.contains(": rejected queue entry") }.count == rejected.count
                            && lines.contains { $0.contains(": bot detected: blocking 198.51.100.90") }
                    }
                    let lines = daemon.standardErrorLines
                    for line in lines {
                        #expect(line.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z [a-z]+ [^ ]+: .*/) != nil,
                            "not a log line of its own: \(line)")
                    }
                    let unblocked = lines.filter { $0.contains(": ban ended: unblocking") }.compactMap {
                        LogLineFields($0, message: "ban ended: unblocking")?.values["unit"]
                    }
                    #expect(unblocked.sorted() == Self.hostile.sorted(), "\(lines)")
                    let entries = lines.filter { $0.contains(": rejected queue entry") }.compactMap {
                        LogLineFields($0, message: "rejected queue entry")?.values
                    }
                    #expect(entries.count == rejected.count, "\(lines)")
                    #expect(entries.allSatisfy { Set($0.keys) == ["reason", "entry"] }, "\(entries)")
                    #expect(entries.contains { $0["entry"] == #"1.2.3.4" reason="forged" x=""# }, "\(entries)")
                    let block = try #require(
                        lines.first { $0.contains(": bot detected: blocking") }.flatMap {
                            LogLineFields($0, message: "bot detected: blocking 198.51.100.90")
                        })
                    #expect(block.values["unit"] == "198.51.100.90")
                }
            }
        }
    }
}

/// The `key="value"` fields after `message` in a ``LogLineFormatter`` line, unescaped; nil when the line does not
/// hold `message` followed by well-formed fields.
struct LogLineFields {
    let values: [String: String]

    init?(_ line: String, message: String) {
        guard let messageRange = line.range(of: ": " + LogLineFormatter.escaped(message, escapingQuotes: false) + " ")
        else { return nil }
        var rest = line[messageRange.upperBound...]
        var values: [String: String] = [:]
        while !rest.isEmpty {
            guard let equals = rest.range(of: "=\"") else { return nil }
            let key = String(rest[..<equals.lowerBound])
            rest = rest[equals.upperBound...]
            var value = ""
            var closed = false
            while let character = rest.first {
                rest = rest.dropFirst()
                if character == "\"" {
                    closed = true
                    break
                }
                guard character == "\\" else {
                    value.append(character)
                    continue
                }
                guard let escaped = rest.first else { return nil }
                rest = rest.dropFirst()
                switch escaped {
                case "n": value += "\n"
                case "r": value += "\r"
                case "t": value += "\t"
                case "u":
                    guard rest.first == "{", let close = rest.firstIndex(of: "}"),
                        let code = UInt32(rest[rest.index(after: rest.startIndex)..<close], radix: 16),
                        let scalar = Unicode.Scalar(code)
                    else { return nil }
                    value.unicodeScalars.append(scalar)
                    rest = rest[rest.index(after: close)...]
                default: value.append(escaped)
                }
            }
            guard closed, values[key] == nil else { return nil }
            values[key] = value
            if rest.isEmpty { break }
            guard rest.first == " " else { return nil }
            rest = rest.dropFirst()
        }
        self.values = values
    }
}
