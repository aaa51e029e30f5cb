import IPWatcherTestSupport
import LocalRedis
import NIOCore
import RESP
import RedisClient
import Testing

@Suite("Basic commands against a real redis-server", .serialized, .needsRedisServer, .timeLimit(.minutes(10)))
struct BasicCommandIntegrationTests {
    @Test("PING answers PONG over TCP in RESP3")
    func pingAnswersPong() async throws {
        try await withRedisConnection { _, connection in
            #expect(connection.protocolVersion == 3)
            let reply = try await connection.send("PING")
            #expect(reply.string == "PONG")
        }
    }

    @Test("SET then GET returns the exact bytes, binary included")
    func setThenGetReturnsTheSameBytes() async throws {
        try await withRedisConnection { _, connection in
            let value = ByteBuffer(bytes: [0x00, 0xFF, 0x0D, 0x0A, 0x41, 0x0D, 0x0A])
            let set = try await connection.send("SET", "binary", value)
            #expect(set.string == "OK")
            let get = try await connection.send("GET", "binary")
            #expect(get.type == .bulkString)
            #expect(get.bytes == value)
        }
    }

    @Test("INCR and INCRBY return the new value as an integer reply")
    func incrAndIncrByReturnIntegers() async throws {
        try await withRedisConnection { _, connection in
            #expect(try await connection.send("INCR", "counter").int == 1)
            let incremented = try await connection.send("INCRBY", "counter", 41)
            #expect(incremented.type == .integer)
            #expect(incremented.int == 42)
            #expect(try await connection.send("INCRBY", "counter", -50).int == -8)
            #expect(try await connection.send("GET", "counter").string == "-8")
        }
    }

    @Test("DEL removes a key, and GET of a missing key is null, not an error")
    func delRemovesKeyAndMissingKeyIsNull() async throws {
        try await withRedisConnection { _, connection in
            _ = try await connection.send("SET", "doomed", "x")
            #expect(try await connection.send("DEL", "doomed").int == 1)
            #expect(try await connection.send("DEL", "doomed").int == 0)
            let missing = try await connection.send("GET", "doomed")
            #expect(missing.isNull)
            #expect(!missing.isError)
            #expect(missing.string == nil)
        }
    }

    @Test("HGETALL is a map in RESP3")
    func hgetallIsAMapInRESP3() async throws {
        try await withRedisConnection { _, connection in
            #expect(connection.protocolVersion == 3)
            #expect(try await connection.send("HSET", "item", "quantity", 5, "price", "9.5").int == 2)
            let reply = try await connection.send("HGETALL", "item")
            #expect(reply.type == .map)
            let map = try #require(reply.map, "HGETALL reply \(reply) is not a map")
            #expect(map.count == 2)
            var fields: [String: String] = [:]
            for (key, value) in map { fields[key.string ?? "?"] = value.string }
            #expect(fields == ["quantity": "5", "price": "9.5"])
        }
    }

    @Test("With protocolPreference .resp2, HGETALL is a flat array and missing keys are null")
    func hgetallIsAFlatArrayInRESP2() async throws {
        try await withRedisServer { server in
            var configuration = RedisConnectionConfiguration()
            configuration.protocolPreference = .resp2
            try await withConnection(server.url, configuration: configuration) { connection in
                #expect(connection.protocolVersion == 2)
                _ = try await connection.send("HSET", "item", "quantity", 5, "price", "9.5")
                let reply = try await connection.send("HGETALL", "item")
                #expect(reply.type == .array)
                #expect(reply.map == nil)
                let flat = try #require(reply.strings, "HGETALL reply \(reply) is not an array")
                #expect(flat.count == 4)
                var fields: [String: String] = [:]
                for index in stride(from: 0, to: flat.count - 1, by: 2) {
                    fields[flat[index] ?? "?"] = flat[index + 1]
                }
                #expect(fields == ["quantity": "5", "price": "9.5"])
                #expect(try await connection.send("GET", "missing").isNull)
            }
        }
    }

    @Test("A unix:// socket URL connects and runs commands")
    func unixSocketURLConnects() async throws {
        try await withRedisServer { server in
            let url = try #require(server.socketURL)
            #expect(url.hasPrefix("unix://"))
            try await withConnection(url) { connection in
                #expect(try await connection.send("PING").string == "PONG")
                _ = try await connection.send("SET", "via-socket", "yes")
                #expect(try await connection.send("GET", "via-socket").string == "yes")
            }
            // The same key is visible over TCP: it is the same server.
            try await withConnection(server.url) { connection async throws in
                #expect(try await connection.send("GET", "via-socket").string == "yes")
            }
        }
    }

    /// The ways a URL can name database 3.
    enum DatabaseURLForm: String, CaseIterable, Sendable {
        case tcpPath = "redis://host:port/3"
        case tcpQuery = "redis://host:port?db=3"
        case unixQuery = "unix:///path?db=3"

        func url(for server: LocalRedisServer) throws -> String {
            switch self {
            case .tcpPath: return server.url + "/3"
            case .tcpQuery: return server.url + "?db=3"
            case .unixQuery: return try #require(server.socketURL) + "?db=3"
            }
        }
    }

    @Test("A database number in the URL selects that database; its keys are not visible in db 0",
          arguments: DatabaseURLForm.allCases)
    func databaseInURLSelectsDatabase(form: DatabaseURLForm) async throws {
        try await withRedisServer { server in
            let url = try form.url(for: server)
            try await withConnection(url) { database3 in
                #expect(try await database3.send("SET", "db-key", "in-3").string == "OK")
                #expect(try await database3.send("GET", "db-key").string == "in-3")
                let info = try await database3.send("CLIENT", "INFO").string ?? ""
                #expect(info.contains(" db=3 "), "CLIENT INFO: \(info)")
            }
            try await withConnection(server.url) { database0 async throws in
                #expect(try await database0.send("GET", "db-key").isNull)
                #expect(try await database0.send("EXISTS", "db-key").int == 0)
            }
            // A fresh connection to db 3 sees the key: it was stored, just elsewhere.
            try await withConnection(url) { database3 async throws in
                #expect(try await database3.send("GET", "db-key").string == "in-3")
            }
        }
    }
}
