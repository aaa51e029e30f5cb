import IPWatcherTestSupport
import RESP
import RedisClient
import Testing

@Suite("Transactions and WATCH against a real redis-server", .serialized, .needsRedisServer, .timeLimit(.minutes(10)))
struct TransactionIntegrationTests {
    /// The tutorial's `buyitem` failed because the item has no stock left.
    struct OutOfStock: Error {}

    /// `buyitem` kept losing the race; bounded so a livelock fails the test instead of hanging it.
    struct TooManyRetries: Error {}

    /// The tutorial's `buyitem` with optimistic locking: WATCH the item hash, read its quantity, and if there is
    /// stock, decrement it and count the purchase in MULTI/EXEC; retry when EXEC aborts, UNWATCH and fail when
    /// the stock is gone. Returns how many attempts the purchase took.
    ///
    /// `beforeExec` runs between the read and the transaction, so a test can change the watched key there.
    static func buyItem(
        _ item: String,
        on connection: RedisConnection,
        maxAttempts: Int = 200,
        beforeExec: (_ attempt: Int) async throws -> Void = { _ in }
    ) async throws -> Int {
        for attempt in 1...maxAttempts {
            try await connection.watch(item)
            let quantity = try await connection.send("HGET", item, "quantity").int ?? 0
            guard quantity > 0 else {
                try await connection.unwatch()
                throw OutOfStock()
            }
            try await beforeExec(attempt)
            do {
                let results = try await connection.transaction([
                    RESPCommand("HINCRBY", item, "quantity", -1),
                    RESPCommand("HINCRBY", item, "npurchased", 1),
                ])
                guard results.count == 2, results.allSatisfy({ !$0.isError }) else {
                    throw RedisError.unexpectedReply(command: "EXEC", reply: "\(results)")
                }
                return attempt
            } catch RedisError.transactionAborted {
                continue
            }
        }
        throw TooManyRetries()
    }

    @Test("transaction returns EXEC's replies, one per queued command")
    func transactionReturnsExecReplies() async throws {
        try await withRedisConnection { _, connection in
            let results = try await connection.transaction([
                RESPCommand("SET", "a", "1"),
                RESPCommand("INCRBY", "a", 9),
                RESPCommand("GET", "a"),
            ])
            try #require(results.count == 3)
            #expect(results[0].string == "OK")
            #expect(results[1].int == 10)
            #expect(results[2].string == "10")
        }
    }

    @Test("A command that fails inside EXEC is an error token; one that fails to queue throws (EXECABORT)")
    func transactionErrorsAreReportedLikeRedisDoes() async throws {
        try await withRedisConnection { server, connection in
            _ = try await connection.send("SET", "text", "hello")
            let results = try await connection.transaction([
                RESPCommand("LPUSH", "text", "oops"),
                RESPCommand("INCR", "counter"),
            ])
            try #require(results.count == 2)
            #expect(results[0].serverError?.code == "WRONGTYPE")
            #expect(results[1].int == 1)

            let error = await #expect(throws: RedisError.self) {
                try await connection.transaction([RESPCommand("INCR", "counter"), RESPCommand("SET", "only-a-key")])
            }
            #expect(error?.kind == "server")
            #expect(try await connection.send("GET", "counter").int == 1, "nothing of the aborted transaction ran")
        }
    }

    @Test("A WATCH conflict aborts EXEC with transactionAborted and the retry succeeds", arguments: [
        RedisConnectionConfiguration.ProtocolPreference.resp3, .resp2,
    ])
    func watchConflictAbortsThenRetrySucceeds(
        protocolPreference: RedisConnectionConfiguration.ProtocolPreference
    ) async throws {
        try await withRedisServer { server in
            var configuration = RedisConnectionConfiguration()
            configuration.protocolPreference = protocolPreference
            // EXEC's "aborted" reply is a RESP3 null or a RESP2 null array; both must read as transactionAborted.
            try await withConnection(server.url, configuration: configuration) { buyer in
                try await withConnection(server.url) { meddler in
                    _ = try await meddler.send("HSET", "item:1", "quantity", 5, "npurchased", 0)
                    // Pin the abort itself, not only the retry: watch, let another client write, EXEC.
                    try await buyer.watch("item:1")
                    _ = try await meddler.send("HINCRBY", "item:1", "quantity", -2)
                    let aborted = await #expect(throws: RedisError.self) {
                        try await buyer.transaction([RESPCommand("HINCRBY", "item:1", "quantity", -1)])
                    }
                    #expect(aborted?.kind == "transactionAborted")
                    #expect(try await meddler.send("HGET", "item:1", "quantity").int == 3, "aborted EXEC ran nothing")

                    let attempts = try await Self.buyItem("item:1", on: buyer) { attempt in
                        if attempt == 1 {
                            _ = try await meddler.send("HSET", "item:1", "quantity", 2)
                        }
                    }
                    #expect(attempts == 2, "first attempt must abort, second succeed")
                    #expect(try await meddler.send("HGET", "item:1", "quantity").int == 1)
                    #expect(try await meddler.send("HGET", "item:1", "npurchased").int == 1)
                }
            }
        }
    }

    @Test("buyitem on an empty item throws out-of-stock and UNWATCHes, so later transactions are not aborted")
    func outOfStockUnwatches() async throws {
        try await withRedisConnection { server, buyer in
            try await withConnection(server.url) { meddler in
                _ = try await meddler.send("HSET", "item:0", "quantity", 0, "npurchased", 0)
                await #expect(throws: OutOfStock.self) {
                    _ = try await Self.buyItem("item:0", on: buyer)
                }
                _ = try await meddler.send("HSET", "item:0", "quantity", 7)
                let results = try await buyer.transaction([RESPCommand("SET", "unrelated", "ok")])
                #expect(results.first?.string == "OK")
            }
        }
    }

    @Test("20 buyers on separate connections racing for a stock of 10: exactly 10 purchases")
    func concurrentBuyersSellExactlyTheStock() async throws {
        try await withRedisServer { server in
            try await withConnection(server.url) { admin in
                _ = try await admin.send("HSET", "item:hot", "quantity", 10, "npurchased", 0)
            }
            let url = server.url
            let (purchases, outOfStock) = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        try await withConnection(url) { connection in
                            do {
                                _ = try await Self.buyItem("item:hot", on: connection)
                                return true
                            } catch is OutOfStock {
                                return false
                            }
                        }
                    }
                }
                var purchases = 0
                var outOfStock = 0
                for try await bought in group {
                    if bought { purchases += 1 } else { outOfStock += 1 }
                }
                return (purchases, outOfStock)
            }
            #expect(purchases == 10)
            #expect(outOfStock == 10)
            try await withConnection(server.url) { admin async throws in
                #expect(try await admin.send("HGET", "item:hot", "quantity").int == 0)
                #expect(try await admin.send("HGET", "item:hot", "npurchased").int == 10)
            }
        }
    }
}
