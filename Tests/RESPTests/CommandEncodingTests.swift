import NIOCore
import Testing

@testable import RESP

@Suite struct CommandEncodingTests {
    /// Decodes encoded command bytes back into its arguments, requiring an array of bulk strings.
    private func arguments(of bytes: ByteBuffer) throws -> [[UInt8]] {
        let token = try RESPToken(validating: bytes)
        #expect(token.type == .array)
        let elements = try #require(token.array)
        return try elements.map { element in
            #expect(element.type == .bulkString)
            return bytesOf(try #require(element.bytes))
        }
    }

    private func strings(of bytes: ByteBuffer) throws -> [String] {
        try arguments(of: bytes).map { String(decoding: $0, as: UTF8.self) }
    }

    // MARK: Wire format

    @Test func setCommandEncodesAsAnArrayOfBulkStrings() {
        #expect(RESPCommand("SET", "k", "v").bytes == ByteBuffer(string: "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"))
    }

    @Test(arguments: [Int64(0), 1, -1, 9, 10, -10, 123_456_789, -987_654_321, Int64.min, Int64.max])
    func int64ArgumentEncodesAsADecimalBulkString(value: Int64) {
        let text = String(value)
        #expect(RESPCommand("X", value).bytes == ByteBuffer(string: "*2\r\n$1\r\nX\r\n$\(text.utf8.count)\r\n\(text)\r\n"))
    }

    @Test(arguments: [0, 1, -1, 42, -42, Int.min, Int.max])
    func intArgumentEncodesAsADecimalBulkString(value: Int) {
        let text = String(value)
        #expect(RESPCommand("X", value).bytes == ByteBuffer(string: "*2\r\n$1\r\nX\r\n$\(text.utf8.count)\r\n\(text)\r\n"))
    }

    @Test func incrbyWithIntEncodesTheNumberAsText() throws {
        #expect(try strings(of: RESPCommand("INCRBY", "counter", 3).bytes) == ["INCRBY", "counter", "3"])
        #expect(try strings(of: RESPCommand("INCRBY", "counter", Int64.min).bytes) == ["INCRBY", "counter", "-9223372036854775808"])
    }

    @Test(arguments: [
        (1.5, "1.5"),
        (-2.25, "-2.25"),
        (0.0, "0.0"),
        (100.0, "100.0"),
        (Double.infinity, "inf"),
        (-Double.infinity, "-inf"),
    ])
    func doubleArgumentEncodesAsTextRedisParses(value: Double, text: String) throws {
        #expect(RESPCommand("Z", value).bytes == ByteBuffer(string: "*2\r\n$1\r\nZ\r\n$\(text.utf8.count)\r\n\(text)\r\n"))
        // The text reads back as the same number.
        let reply = try RESPToken(validating: ByteBuffer(string: "$\(text.utf8.count)\r\n\(text)\r\n"))
        #expect(reply.double == value)
    }

    @Test func doubleArgumentRoundTripsThroughItsText() throws {
        for value in [0.1, 1.0 / 3.0, 1e20, -1e-20, 123_456.789, Double.greatestFiniteMagnitude] {
            let encoded = try arguments(of: RESPCommand(value).bytes)
            #expect(encoded.count == 1)
            let reply = try RESPToken(validating: ByteBuffer(bytes: Array("$\(encoded[0].count)\r\n".utf8) + encoded[0] + [0x0D, 0x0A]))
            #expect(reply.double == value)
        }
    }

    @Test func arrayArgumentContributesOneBulkStringPerElement() {
        #expect(
            RESPCommand("DEL", ["a", "bb", "ccc"]).bytes
                == ByteBuffer(string: "*4\r\n$3\r\nDEL\r\n$1\r\na\r\n$2\r\nbb\r\n$3\r\nccc\r\n"))
    }

    @Test func emptyArrayArgumentContributesNothing() {
        #expect(RESPCommand("DEL", [String]()).bytes == ByteBuffer(string: "*1\r\n$3\r\nDEL\r\n"))
    }

    @Test func nestedArrayAndIntArrayArgumentsAreFlattenedAndCounted() throws {
        let command = RESPCommand("X", [["a"], ["b", "c"]], [1, 2], "end")
        #expect(try strings(of: command.bytes) == ["X", "a", "b", "c", "1", "2", "end"])
        #expect(command.bytes.getString(at: 0, length: 4) == "*7\r\n")
    }

    @Test func nilOptionalArgumentContributesNothing() {
        let none: String? = nil
        #expect(RESPCommand("SET", "k", "v", none).bytes == RESPCommand("SET", "k", "v").bytes)
        #expect(RESPCommand("SET", "k", "v", none).bytes.getString(at: 0, length: 4) == "*3\r\n")
    }

    @Test func nilElementsOfAnArrayOfOptionalsContributeNothing() throws {
        let elements: [String?] = ["a", nil, "b", nil]
        let command = RESPCommand("X", elements)
        #expect(try strings(of: command.bytes) == ["X", "a", "b"])
        #expect(command.bytes.getString(at: 0, length: 4) == "*3\r\n")
    }

    @Test func presentOptionalArgumentContributesItsValue() throws {
        let flag: String? = "NX"
        let count: Int? = 7
        #expect(try strings(of: RESPCommand("SET", "k", "v", flag, count).bytes) == ["SET", "k", "v", "NX", "7"])
    }

    @Test func byteBufferArgumentIsWrittenVerbatimIncludingBinaryBytes() throws {
        let payload = ByteBuffer(bytes: Fixtures.binaryPayload)
        let command = RESPCommand("SET", "k", payload)
        let expected = Array("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$9\r\n".utf8) + Fixtures.binaryPayload + [0x0D, 0x0A]
        #expect(bytesOf(command.bytes) == expected)
        #expect(try arguments(of: command.bytes).last == Fixtures.binaryPayload)
    }

    @Test func byteBufferArgumentEncodesOnlyItsReadableBytes() {
        var payload = ByteBuffer(string: "skipvalue")
        payload.moveReaderIndex(forwardBy: 4)
        #expect(RESPCommand(payload).bytes == ByteBuffer(string: "*1\r\n$5\r\nvalue\r\n"))
    }

    @Test func emptyStringArgumentEncodesAsAnEmptyBulkString() {
        #expect(RESPCommand("SET", "k", "").bytes == ByteBuffer(string: "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n"))
    }

    @Test(arguments: [("héllo", 6), ("日本", 6), ("👍", 4), ("a\u{301}", 3), ("", 0)])
    func multiByteStringLengthIsItsUTF8ByteCount(text: String, byteCount: Int) throws {
        let command = RESPCommand(text)
        #expect(bytesOf(command.bytes) == Array("*1\r\n$\(byteCount)\r\n".utf8) + Array(text.utf8) + [0x0D, 0x0A])
        #expect(try strings(of: command.bytes) == [text])
    }

    @Test func substringArgumentEncodesOnlyItsCharacters() {
        let text = "prefix:key:suffix"
        let key = text.split(separator: ":")[1]
        #expect(RESPCommand("GET", key).bytes == ByteBuffer(string: "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n"))
    }

    // MARK: Name

    @Test(arguments: [("get", "GET"), ("SET", "SET"), ("bLpOp", "BLPOP"), ("client", "CLIENT")])
    func nameIsTheUppercasedFirstArgument(first: String, name: String) {
        let command = RESPCommand(first, "secret-key", "secret-value")
        #expect(command.name == name)
        #expect(command.description == name)
    }

    @Test func nameOfACommandLedByANumberIsThatNumber() {
        #expect(RESPCommand(42, "x").name == "42")
    }

    @Test func nameOfACommandWithNoArgumentsIsAQuestionMark() {
        let command = RESPCommand([String]())
        #expect(command.bytes == ByteBuffer(string: "*0\r\n"))
        #expect(command.name == "?")
    }

    // MARK: Encoder

    @Test func encoderConcatenatesCommandsAndCountsThem() {
        var encoder = RESPCommandEncoder()
        #expect(encoder.commandCount == 0)
        #expect(encoder.buffer.readableBytes == 0)
        encoder.encode("SET", "k", "v")
        encoder.encode("GET", "k")
        encoder.append(RESPCommand("INCRBY", "n", 5))
        #expect(encoder.commandCount == 3)
        var expected = RESPCommand("SET", "k", "v").bytes
        expected.writeImmutableBuffer(RESPCommand("GET", "k").bytes)
        expected.writeImmutableBuffer(RESPCommand("INCRBY", "n", 5).bytes)
        #expect(encoder.buffer == expected)
    }

    @Test func encoderRepliesParseBackAsOneArrayPerCommand() throws {
        var encoder = RESPCommandEncoder()
        encoder.encode("MULTI")
        encoder.encode("LPUSH", "list", ["a", "b"])
        encoder.encode("EXEC")
        let (tokens, rest) = try parseAllAtOnce(bytesOf(encoder.buffer))
        #expect(rest.isEmpty)
        #expect(tokens.count == encoder.commandCount)
        #expect(tokens.map { $0.array?.map(\.string) } == [["MULTI"], ["LPUSH", "list", "a", "b"], ["EXEC"]])
    }

    @Test func encoderResetEmptiesItAndKeepsTheBufferCapacity() {
        var encoder = RESPCommandEncoder()
        for index in 0..<100 { encoder.encode("SET", "key:\(index)", String(repeating: "v", count: 50)) }
        let capacity = encoder.buffer.capacity
        let storage = encoder.buffer.withVeryUnsafeBytes { UInt(bitPattern: $0.baseAddress) }
        #expect(capacity >= encoder.buffer.readableBytes)
        encoder.reset()
        #expect(encoder.commandCount == 0)
        #expect(encoder.buffer.readableBytes == 0)
        #expect(encoder.buffer.capacity == capacity)
        #expect(encoder.buffer.withVeryUnsafeBytes { UInt(bitPattern: $0.baseAddress) } == storage)
        encoder.encode("PING")
        #expect(encoder.commandCount == 1)
        #expect(encoder.buffer == ByteBuffer(string: "*1\r\n$4\r\nPING\r\n"))
        #expect(encoder.buffer.capacity == capacity)
    }

    @Test func resetDoesNotDisturbABatchStillHeldByTheCaller() {
        var encoder = RESPCommandEncoder()
        encoder.encode("SET", "k", "v")
        let batch = encoder.buffer  // e.g. a write still in flight
        encoder.reset()
        encoder.encode("PING")
        #expect(batch == RESPCommand("SET", "k", "v").bytes)
        #expect(encoder.buffer == RESPCommand("PING").bytes)
    }

    @Test func encoderWritesAfterWhateverItsInitialBufferHolds() {
        var encoder = RESPCommandEncoder(buffer: ByteBuffer(string: "+"))
        encoder.encode("PING")
        #expect(encoder.buffer == ByteBuffer(string: "+*1\r\n$4\r\nPING\r\n"))
    }

    // MARK: Round trip

    @Test(arguments: [
        ["PING"],
        ["SET", "k", "v"],
        ["SET", "key with spaces", "value\r\nwith\r\nCRLF", "EX", "10"],
        ["HSET", "h", "", "empty-field-name"],
        ["ECHO", "日本語 🎉"],
        ["*1", "$3", ":1", "+OK", "-ERR", "_"],
    ])
    func encodedCommandRoundTripsThroughTheParserToItsArguments(args: [String]) throws {
        let command = RESPCommand(args)
        #expect(try strings(of: command.bytes) == args)
        #expect(command.name == args[0].uppercased())
    }

    @Test func mixedArgumentTypesRoundTripThroughTheParser() throws {
        let absent: Int? = nil
        let command = RESPCommand(
            "ZADD", "scores", 1.5, "alice", Int64.max, ByteBuffer(string: "raw"), absent, ["x", "y"], Int.min)
        #expect(
            try strings(of: command.bytes) == [
                "ZADD", "scores", "1.5", "alice", "9223372036854775807", "raw", "x", "y", "-9223372036854775808",
            ])
        let token = try RESPToken(validating: command.bytes)
        #expect(token.array?.count == 9)
    }
}
