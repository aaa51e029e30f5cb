import IPWatcherTestSupport
import LocalRedis
import RESP
import RedisClient
import Testing

@Suite("Scripts as a Redis Functions library")
struct RedisFunctionLibraryTests {
    static let incrementBy = "return redis.call('INCRBY', KEYS[1], ARGV[1])"

    @Test("The version changes with any script's body, and every function's name carries it")
    func versionFollowsTheBodies() {
        let increment = RedisScript(Self.incrementBy)
        let read = RedisScript("return redis.call('GET', KEYS[1])")
        let library = RedisFunctionLibrary(prefix: "test", functions: [.init("increment", increment), .init("read", read)])
        let same = RedisFunctionLibrary(
            prefix: "test", functions: [.init("increment", RedisScript(Self.incrementBy)), .init("read", read)])
        let changed = RedisFunctionLibrary(
            prefix: "test",
            functions: [.init("increment", RedisScript(Self.incrementBy + " -- changed")), .init("read", read)])
        #expect(library.version.count == 8 && library.version.allSatisfy(\.isHexDigit))
        #expect(same.version == library.version)
        #expect(changed.version != library.version)
        #expect(library.functionName(of: increment) == "test_increment_\(library.version)")
        #expect(library.functionName(of: read) == "test_read_\(library.version)")
        #expect(library.libraryName == "test_\(library.version)")
        #expect(library.functionName(of: RedisScript(Self.incrementBy)) == nil, "a script outside the library")
    }

    @Test(
        "install-functions loads once however often it runs; scripts then go by FCALL, and a flushed library is reported",
        .needsRedisServer, .timeLimit(.minutes(10)))
    func scriptsRunAsFunctions() async throws {
        let increment = RedisScript(Self.incrementBy)
        let library = RedisFunctionLibrary(prefix: "test", functions: [.init("increment", increment)])
        try await withRedisServer { server in
            try await RedisServerClient.withClient(endpoint: RedisEndpoint(url: server.url)) { client async throws in
                let router = RedisRouter(.server(client), functions: library)
                await #expect(throws: RedisFunctionsMissingError.self) { try await router.checkFunctionsInstalled() }
                try await router.installFunctions(library)
                try await router.installFunctions(library)
                let libraries = try await client.send("FUNCTION", "LIST").array.map(Array.init) ?? []
                #expect(libraries.count == 1)
                try await router.checkFunctionsInstalled()

                #expect(try await router.evaluate(increment, keys: ["counter"], arguments: ["3"]).int == 3)
                let replies = try await router.evaluatePipelined(increment, count: 2) { index, head in
                    RedisRoutedCommand(RESPCommand(head, 1, "counter", index + 1), key: "counter")
                }
                #expect(replies.map(\.int) == [4, 6])
                let direct = try await client.evaluatePipelined(increment, count: 1, functions: library) {
                    _, head, encoder in encoder.encode(head, 1, "counter", 10)
                }
                #expect(direct.map(\.int) == [16])
                #expect(increment.sha1 == nil, "nothing went through SCRIPT LOAD")
                let stats = try await client.send("INFO", "commandstats").string ?? ""
                #expect(stats.contains("cmdstat_fcall:") && !stats.contains("cmdstat_evalsha"), "\(stats)")

                _ = try await client.send("FUNCTION", "FLUSH")
                let missing = await #expect(throws: RedisFunctionsMissingError.self) {
                    try await router.checkFunctionsInstalled()
                }
                #expect(missing?.description.contains("ipwatcher redis install-functions") == true)
            }
        }
    }
}

/// install-functions and FCALL through a ``RedisRouter`` on a real 3-master cluster.
@Suite(
    "Scripts as Redis Functions on a Redis Cluster", .serialized, .needsRedisCluster, .loadsMachine,
    .timeLimit(.minutes(10)))
struct RedisFunctionLibraryClusterTests {
    @Test("The library is loaded on every master, calls on keys of every master go by FCALL, and a master without it is reported")
    func installsOnEveryMaster() async throws {
        try await withRedisCluster { cluster in
            let increment = RedisScript(RedisFunctionLibraryTests.incrementBy)
            let library = RedisFunctionLibrary(prefix: "test", functions: [.init("increment", increment)])
            let seeds = try RedisEndpoint.clusterSeeds(
                url: "redis+cluster://" + cluster.nodes.map(\.address).joined(separator: ","))
            let router = RedisRouter(.cluster(RedisClusterClient(seeds: seeds)), functions: library)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await router.run() }
                defer { group.cancelAll() }
                #expect(try await router.installFunctions(library).count == 3)
                try await router.installFunctions(library)
                for master in cluster.masters {
                    let list = try await cluster.redisCLI(on: master, ["FUNCTION", "LIST"])
                    #expect(list.contains(library.libraryName), "\(master) has no \(library.libraryName)")
                }
                try await router.checkFunctionsInstalled()
                for index in 0..<30 {
                    let reply = try await router.evaluate(increment, keys: ["spread:\(index)"], arguments: ["2"])
                    #expect(reply.int == 2)
                }
                #expect(increment.sha1 == nil, "nothing went through SCRIPT LOAD")

                let flushed = try #require(cluster.masters.last)
                _ = try await cluster.redisCLI(on: flushed, ["FUNCTION", "FLUSH"])
                await #expect(throws: RedisFunctionsMissingError.self) { try await router.checkFunctionsInstalled() }
            }
        }
    }
}
