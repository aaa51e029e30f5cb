import NIOCore
import Testing

@testable import RESP

@Suite struct ReplyDecodingTests {
    // MARK: Simple strings and errors

    @Test func simpleStringDecodesToItsTextThroughValueAndAccessors() throws {
        let reply = try token("+OK\r\n")
        #expect(reply.type == .simpleString)
        #expect(reply.value == .simpleString(ByteBuffer(string: "OK")))
        #expect(reply.string == "OK")
        #expect(reply.bytes == ByteBuffer(string: "OK"))
        #expect(!reply.isNull)
        #expect(!reply.isError)
        #expect(reply.errorMessage == nil)
        #expect(reply.array == nil)
        #expect(reply.map == nil)
        #expect(reply.int == nil)
        #expect(reply.bool == nil)
    }

    @Test func emptySimpleStringDecodesToEmptyTextNotNull() throws {
        let reply = try token("+\r\n")
        #expect(reply.value == .simpleString(ByteBuffer()))
        #expect(reply.string == "")
        #expect(!reply.isNull)
    }

    @Test func simpleStringHoldingANumberIsReadableAsIntAndDouble() throws {
        let reply = try token("+123\r\n")
        #expect(reply.int == 123)
        #expect(reply.double == 123)
    }

    @Test func simpleErrorExposesItsMessageAndIsAnError() throws {
        let reply = try token("-ERR unknown command 'FOO'\r\n")
        #expect(reply.type == .simpleError)
        #expect(reply.value == .simpleError(ByteBuffer(string: "ERR unknown command 'FOO'")))
        #expect(reply.isError)
        #expect(reply.errorMessage == "ERR unknown command 'FOO'")
        #expect(reply.string == nil)
        #expect(reply.bytes == nil)
        #expect(!reply.isNull)
    }

    // MARK: Integers

    @Test(arguments: [
        (":0\r\n", Int64(0)),
        (":1000\r\n", 1000),
        (":-42\r\n", -42),
        (":+7\r\n", 7),
        (":-0\r\n", 0),
        (":9223372036854775807\r\n", Int64.max),
        (":-9223372036854775808\r\n", Int64.min),
    ])
    func integerReplyDecodesToInt64(input: String, expected: Int64) throws {
        let reply = try token(input)
        #expect(reply.type == .integer)
        #expect(reply.value == .integer(expected))
        #expect(reply.int == expected)
        #expect(reply.double == Double(expected))
        #expect(reply.string == nil)
        #expect(!reply.isError)
    }

    @Test func integerZeroAndOneReadAsBooleansOtherIntegersDoNot() throws {
        #expect(try token(":0\r\n").bool == false)
        #expect(try token(":1\r\n").bool == true)
        #expect(try token(":2\r\n").bool == nil)
        #expect(try token(":-1\r\n").bool == nil)
    }

    // MARK: Bulk strings

    @Test func bulkStringDecodesToItsPayload() throws {
        let reply = try token("$5\r\nhello\r\n")
        #expect(reply.type == .bulkString)
        #expect(reply.value == .bulkString(ByteBuffer(string: "hello")))
        #expect(reply.string == "hello")
        #expect(reply.bytes == ByteBuffer(string: "hello"))
        #expect(!reply.isNull)
        #expect(!reply.isError)
    }

    @Test func emptyBulkStringIsEmptyNotNull() throws {
        let reply = try token("$0\r\n\r\n")
        #expect(reply.value == .bulkString(ByteBuffer()))
        #expect(reply.string == "")
        #expect(reply.bytes?.readableBytes == 0)
        #expect(!reply.isNull)
        #expect(reply.int == nil)
        #expect(reply.double == nil)
    }

    @Test func binaryBulkStringKeepsEveryByteIncludingCRLFInsideThePayload() throws {
        let reply = try token(bytes: Fixtures.binaryBulk)
        let payload = try #require(reply.bytes)
        #expect(bytesOf(payload) == Fixtures.binaryPayload)
        #expect(reply.value == .bulkString(ByteBuffer(bytes: Fixtures.binaryPayload)))
    }

    @Test func bulkStringHoldingNumbersIsReadableAsIntAndDouble() throws {
        #expect(try token("$2\r\n42\r\n").int == 42)
        #expect(try token("$3\r\n-17\r\n").int == -17)
        #expect(try token("$2\r\n4x\r\n").int == nil)
        #expect(try token("$4\r\n3.25\r\n").double == 3.25)
        #expect(try token("$4\r\n3.25\r\n").int == nil)
        #expect(try token("$3\r\ninf\r\n").double == .infinity)
        #expect(try token("$4\r\n-inf\r\n").double == -.infinity)
        #expect(try token("$3\r\nabc\r\n").double == nil)
        #expect(try token("$4\r\n0x10\r\n").double == nil)
    }

    // MARK: Nulls

    @Test(arguments: [
        ("$-1\r\n", RESPTypeIdentifier.bulkString),
        ("*-1\r\n", .array),
        ("_\r\n", .null),
    ])
    func everyNullFormDecodesToNull(input: String, type: RESPTypeIdentifier) throws {
        let reply = try token(input)
        #expect(reply.type == type)
        #expect(reply.value == .null)
        #expect(reply.isNull)
        #expect(!reply.isError)
        #expect(reply.string == nil)
        #expect(reply.bytes == nil)
        #expect(reply.int == nil)
        #expect(reply.double == nil)
        #expect(reply.bool == nil)
        #expect(reply.array == nil)
        #expect(reply.map == nil)
        #expect(reply.errorMessage == nil)
    }

    // MARK: Booleans and doubles

    @Test(arguments: [("#t\r\n", true), ("#f\r\n", false)])
    func booleanReplyDecodesToBool(input: String, expected: Bool) throws {
        let reply = try token(input)
        #expect(reply.type == .boolean)
        #expect(reply.value == .boolean(expected))
        #expect(reply.bool == expected)
        #expect(reply.int == nil)
        #expect(reply.string == nil)
    }

    @Test(arguments: [
        (",1.5\r\n", 1.5),
        (",-2e10\r\n", -2e10),
        (",1E3\r\n", 1000),
        (",inf\r\n", Double.infinity),
        (",+inf\r\n", Double.infinity),
        (",-inf\r\n", -Double.infinity),
        (",10\r\n", 10),
        (",0\r\n", 0),
        (",0.1923\r\n", 0.1923),
        (",-0.5\r\n", -0.5),
    ])
    func doubleReplyDecodesToDouble(input: String, expected: Double) throws {
        let reply = try token(input)
        #expect(reply.type == .double)
        #expect(reply.value == .double(expected))
        #expect(reply.double == expected)
        #expect(reply.int == nil)
        #expect(reply.string == nil)
    }

    @Test(arguments: [",nan\r\n", ",-nan\r\n"])
    func nanDoubleReplyDecodesToNaN(input: String) throws {
        let reply = try token(input)
        let value = try #require(reply.double)
        #expect(value.isNaN)
        guard case .double(let decoded) = reply.value else {
            Issue.record("expected .double, got \(reply.value)")
            return
        }
        #expect(decoded.isNaN)
    }

    // MARK: Big numbers, bulk errors, verbatim strings

    @Test func bigNumberKeepsAllItsDigitsAsText() throws {
        let digits = "3492890328409238509324850943850943825024385"
        let reply = try token("(" + digits + "\r\n")
        #expect(reply.type == .bigNumber)
        #expect(reply.value == .bigNumber(ByteBuffer(string: digits)))
        #expect(reply.string == digits)
        #expect(reply.int == nil)  // does not fit in Int64
        #expect(!reply.isError)
    }

    @Test func signedBigNumberThatFitsIsReadableAsInt() throws {
        let reply = try token("(-12\r\n")
        #expect(reply.value == .bigNumber(ByteBuffer(string: "-12")))
        #expect(reply.int == -12)
    }

    @Test func bulkErrorExposesItsMessageAndIsAnError() throws {
        let reply = try token("!21\r\nSYNTAX invalid syntax\r\n")
        #expect(reply.type == .bulkError)
        #expect(reply.value == .bulkError(ByteBuffer(string: "SYNTAX invalid syntax")))
        #expect(reply.isError)
        #expect(reply.errorMessage == "SYNTAX invalid syntax")
        #expect(reply.string == nil)
        #expect(reply.bytes == nil)
    }

    @Test func verbatimStringSeparatesFormatFromText() throws {
        let reply = try token("=15\r\ntxt:Some string\r\n")
        #expect(reply.type == .verbatimString)
        #expect(reply.value == .verbatimString(format: ByteBuffer(string: "txt"), text: ByteBuffer(string: "Some string")))
        #expect(reply.string == "Some string")
        #expect(reply.bytes == ByteBuffer(string: "Some string"))
        #expect(!reply.isError)
    }

    @Test func verbatimStringWithEmptyTextDecodesToEmptyText() throws {
        let reply = try token("=4\r\nmkd:\r\n")
        #expect(reply.value == .verbatimString(format: ByteBuffer(string: "mkd"), text: ByteBuffer()))
        #expect(reply.string == "")
    }

    // MARK: Arrays, sets, pushes

    @Test func arrayIteratesItsElementsInOrder() throws {
        let reply = try token("*3\r\n:1\r\n:2\r\n:3\r\n")
        #expect(reply.type == .array)
        let elements = try #require(reply.array)
        guard case .array(let fromValue) = reply.value else {
            Issue.record("expected .array, got \(reply.value)")
            return
        }
        #expect(fromValue == elements)
        #expect(elements.count == 3)
        #expect(!elements.isEmpty)
        #expect(elements.map(\.int) == [1, 2, 3])
        #expect(elements.map(\.base) == [":1\r\n", ":2\r\n", ":3\r\n"].map { ByteBuffer(string: $0) })
        #expect(reply.map == nil)
        #expect(reply.string == nil)
        #expect(!reply.isNull)
    }

    @Test func arrayCanBeIteratedMoreThanOnce() throws {
        let elements = try #require(try token("*2\r\n+a\r\n+b\r\n").array)
        #expect(elements.map(\.string) == ["a", "b"])
        #expect(elements.map(\.string) == ["a", "b"])
    }

    @Test func nestedArraysDecodeAtEveryLevel() throws {
        let reply = try token(Fixtures.nestedArray)
        let outer = try #require(reply.array)
        #expect(outer.count == 2)
        let inner = Array(outer)
        #expect(inner.count == 2)
        let numbers = try #require(inner[0].array)
        #expect(numbers.count == 3)
        #expect(numbers.map(\.int) == [1, 2, 3])
        let mixed = Array(try #require(inner[1].array))
        #expect(mixed.count == 2)
        #expect(mixed[0].string == "Hello")
        #expect(mixed[1].isError)
        #expect(mixed[1].errorMessage == "World")
    }

    @Test func emptyArrayHasNoElementsAndIsNotNull() throws {
        let reply = try token("*0\r\n")
        let elements = try #require(reply.array)
        #expect(elements.count == 0)
        #expect(elements.isEmpty)
        #expect(Array(elements).isEmpty)
        #expect(!reply.isNull)
    }

    @Test func arrayMayHoldNullsOfEveryForm() throws {
        let elements = Array(try #require(try token("*3\r\n$-1\r\n*-1\r\n_\r\n").array))
        #expect(elements.count == 3)
        #expect(elements.map(\.isNull) == [true, true, true])
        #expect(elements.map(\.type) == [.bulkString, .array, .null])
    }

    @Test func arrayOfMixedTypesDecodesEachElementByItsOwnType() throws {
        let reply = try token("*6\r\n+s\r\n:5\r\n#t\r\n,2.5\r\n$4\r\nbulk\r\n_\r\n")
        let elements = Array(try #require(reply.array))
        #expect(elements.count == 6)
        #expect(elements[0].string == "s")
        #expect(elements[1].int == 5)
        #expect(elements[2].bool == true)
        #expect(elements[3].double == 2.5)
        #expect(elements[4].string == "bulk")
        #expect(elements[5].isNull)
    }

    @Test func setIsReadThroughTheArrayAccessor() throws {
        let reply = try token("~3\r\n+a\r\n+b\r\n+c\r\n")
        #expect(reply.type == .set)
        let elements = try #require(reply.array)
        guard case .set(let fromValue) = reply.value else {
            Issue.record("expected .set, got \(reply.value)")
            return
        }
        #expect(fromValue == elements)
        #expect(elements.count == 3)
        #expect(elements.map(\.string) == ["a", "b", "c"])
    }

    @Test func pushIsReadThroughTheArrayAccessor() throws {
        let reply = try token(Fixtures.push)
        #expect(reply.type == .push)
        let elements = try #require(reply.array)
        guard case .push(let fromValue) = reply.value else {
            Issue.record("expected .push, got \(reply.value)")
            return
        }
        #expect(fromValue == elements)
        #expect(elements.count == 3)
        #expect(elements.map(\.string) == ["message", "channel", "hello"])
    }

    // MARK: Maps

    @Test func mapIteratesItsPairsInOrder() throws {
        let reply = try token(Fixtures.map)
        #expect(reply.type == .map)
        let pairs = try #require(reply.map)
        guard case .map(let fromValue) = reply.value else {
            Issue.record("expected .map, got \(reply.value)")
            return
        }
        #expect(fromValue == pairs)
        #expect(pairs.count == 2)
        #expect(pairs.map(\.key.string) == ["first", "second"])
        #expect(pairs.map(\.value.int) == [1, 2])
        #expect(reply.array == nil)
    }

    @Test func emptyMapHasNoPairs() throws {
        let pairs = try #require(try token("%0\r\n").map)
        #expect(pairs.count == 0)
        #expect(Array(pairs).isEmpty)
    }

    @Test func mapWithAggregateKeysAndValuesPairsThemCorrectly() throws {
        let reply = try token("%2\r\n*2\r\n:1\r\n:2\r\n%1\r\n+a\r\n+b\r\n$1\r\nk\r\n~1\r\n#f\r\n")
        let pairs = Array(try #require(reply.map))
        #expect(pairs.count == 2)
        #expect(pairs[0].key.array?.map(\.int) == [1, 2])
        let innerPairs = Array(try #require(pairs[0].value.map))
        #expect(innerPairs.map(\.key.string) == ["a"])
        #expect(innerPairs.map(\.value.string) == ["b"])
        #expect(pairs[1].key.string == "k")
        #expect(pairs[1].value.type == .set)
        #expect(pairs[1].value.array?.map(\.bool) == [false])
    }

    // MARK: Attributes

    @Test func attributeAndTheValueItAnnotatesAreOneToken() throws {
        let (tokens, rest) = try parseAllAtOnce(Array(Fixtures.attribute.utf8))
        #expect(tokens.count == 1)
        #expect(rest.isEmpty)
        #expect(tokens.first?.base == ByteBuffer(string: Fixtures.attribute))
    }

    @Test func attributeValueHoldsTheAttributeMapAndTheAnnotatedReply() throws {
        let reply = try token(Fixtures.attribute)
        #expect(reply.type == .attribute)
        guard case .attribute(let attributes, let annotated) = reply.value else {
            Issue.record("expected .attribute, got \(reply.value)")
            return
        }
        #expect(attributes.count == 1)
        let pairs = Array(attributes)
        #expect(pairs.count == 1)
        #expect(pairs.first?.key.string == "key-popularity")
        let popularity = Array(try #require(pairs.first?.value.map))
        #expect(popularity.map(\.key.string) == ["a", "b"])
        #expect(popularity.map(\.value.double) == [0.1923, 0.0012])

        #expect(annotated.type == .array)
        #expect(annotated.base == ByteBuffer(string: "*2\r\n:2039123\r\n:9543892\r\n"))
        #expect(annotated.array?.map(\.int) == [2039123, 9543892])
    }

    @Test func withoutAttributesGivesTheAnnotatedArray() throws {
        let reply = try token(Fixtures.attribute)
        let plain = reply.withoutAttributes
        #expect(plain.type == .array)
        #expect(plain.base == ByteBuffer(string: "*2\r\n:2039123\r\n:9543892\r\n"))
        #expect(plain.array?.count == 2)
        #expect(plain.array?.map(\.int) == [2039123, 9543892])
        // The attribute token itself is not an array; only the annotated value is.
        #expect(reply.array == nil)
        #expect(reply.map == nil)
    }

    @Test func withoutAttributesOnAPlainReplyReturnsItUnchanged() throws {
        let reply = try token("*1\r\n:1\r\n")
        #expect(reply.withoutAttributes == reply)
    }

    @Test func withoutAttributesStripsStackedAttributes() throws {
        let reply = try token("|1\r\n+a\r\n:1\r\n|1\r\n+b\r\n:2\r\n+value\r\n")
        #expect(reply.withoutAttributes.base == ByteBuffer(string: "+value\r\n"))
        #expect(reply.withoutAttributes.string == "value")
    }

    @Test func attributeWithNoPairsStillAnnotatesItsValue() throws {
        let reply = try token("|0\r\n:5\r\n")
        guard case .attribute(let attributes, let annotated) = reply.value else {
            Issue.record("expected .attribute, got \(reply.value)")
            return
        }
        #expect(attributes.count == 0)
        #expect(Array(attributes).isEmpty)
        #expect(annotated.int == 5)
    }

    @Test func attributeNestedInAnArrayElementIsPartOfThatElement() throws {
        let reply = try token(Fixtures.attributeInArray)
        let elements = Array(try #require(reply.array))
        #expect(elements.count == 2)
        #expect(elements[0].type == .attribute)
        #expect(elements[0].base == ByteBuffer(string: "|1\r\n+ttl\r\n:3600\r\n$5\r\nvalue\r\n"))
        #expect(elements[0].withoutAttributes.string == "value")
        guard case .attribute(let attributes, _) = elements[0].value else {
            Issue.record("expected .attribute, got \(elements[0].value)")
            return
        }
        #expect(attributes.map(\.key.string) == ["ttl"])
        #expect(attributes.map(\.value.int) == [3600])
        #expect(elements[1].int == 7)
    }

    // MARK: Structure shared by every reply

    @Test(arguments: Fixtures.validReplies)
    func typeIsNamedByTheFirstByteAndBaseIsTheWholeReply(reply: RawReply) throws {
        let parsed = try token(bytes: reply.bytes)
        #expect(parsed.type.rawValue == reply.bytes[0])
        #expect(bytesOf(parsed.base) == reply.bytes)
    }

    @Test(arguments: Fixtures.validReplies)
    func aggregateIteratesExactlyItsDeclaredCountAndElementsTileItsBytes(reply: RawReply) throws {
        let parsed = try token(bytes: reply.bytes)
        let headerLength = try #require(reply.bytes.firstIndex(of: 0x0A)) + 1
        let tail = Array(reply.bytes[headerLength...])
        switch parsed.value {
        case .array(let elements), .set(let elements), .push(let elements):
            let iterated = Array(elements)
            #expect(iterated.count == elements.count)
            #expect(elements.underestimatedCount == elements.count)
            #expect(iterated.flatMap { bytesOf($0.base) } == tail)
        case .map(let pairs):
            let iterated = Array(pairs)
            #expect(iterated.count == pairs.count)
            #expect(iterated.flatMap { bytesOf($0.key.base) + bytesOf($0.value.base) } == tail)
        case .attribute(let pairs, let annotated):
            let iterated = Array(pairs)
            #expect(iterated.count == pairs.count)
            #expect(iterated.flatMap { bytesOf($0.key.base) + bytesOf($0.value.base) } + bytesOf(annotated.base) == tail)
        default:
            #expect(parsed.array == nil)
            #expect(parsed.map == nil)
        }
    }

    @Test func equalRepliesFromDifferentBuffersAreEqualTokens() throws {
        let first = try token("*2\r\n+a\r\n:1\r\n")
        var other = ByteBuffer(string: "junk")
        other.moveReaderIndex(forwardBy: 4)
        other.writeString("*2\r\n+a\r\n:1\r\n")
        let second = try RESPToken(validating: other)
        #expect(first == second)
        #expect(first.hashValue == second.hashValue)
        #expect(try token("*2\r\n+a\r\n:2\r\n") != first)
    }
}
