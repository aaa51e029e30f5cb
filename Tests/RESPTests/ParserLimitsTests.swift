import NIOCore
import Testing

@testable import RESP

@Suite struct ParserLimitsTests {
    /// Runs one `next(from:)` on a fresh parser; `.success(nil)` means "needs more bytes".
    private func parse(_ text: String, limits: RESPParserLimits) -> Result<RESPToken?, RESPParsingError> {
        var parser = RESPParser(limits: limits)
        var buffer = ByteBuffer(string: text)
        return Result { () throws(RESPParsingError) -> RESPToken? in try parser.next(from: &buffer) }
    }

    private func needsMore(_ text: String, limits: RESPParserLimits) -> Bool {
        if case .success(nil) = parse(text, limits: limits) { return true }
        return false
    }

    private func parsed(_ text: String, limits: RESPParserLimits) -> RESPToken? {
        if case .success(let token?) = parse(text, limits: limits) { return token }
        return nil
    }

    private func nested(_ depth: Int, _ innermost: String = ":1\r\n") -> String {
        String(repeating: "*1\r\n", count: depth) + innermost
    }

    @Test func defaultsAreDocumentedValues() {
        let limits = RESPParserLimits()
        #expect(limits.maxBulkLength == 512 * 1024 * 1024)
        #expect(limits.maxAggregateCount == 16 * 1024 * 1024)
        #expect(limits.maxDepth == 32)
        #expect(limits.maxLineLength == 64 * 1024)
    }

    // MARK: Bulk length

    @Test func bulkLengthOverTheLimitIsRejectedFromTheHeaderAloneBeforeThePayloadArrives() {
        let limits = RESPParserLimits(maxBulkLength: 1024)
        #expect(parseError("$999999999\r\n", limits: limits) == RESPParsingError(.lengthLimitExceeded, offset: 1))
        #expect(parseError("$1025\r\n", limits: limits)?.code == .lengthLimitExceeded)
    }

    @Test func bulkLengthOverTheLimitThrowsAsSoonAsTheHeaderLineEndsWhenFedByteByByte() throws {
        var parser = RESPParser(limits: RESPParserLimits(maxBulkLength: 1024))
        var buffer = ByteBuffer()
        let header = Array("$999999999\r\n".utf8)
        for byte in header.dropLast() {
            buffer.writeInteger(byte)
            #expect(try parser.next(from: &buffer) == nil)
        }
        buffer.writeInteger(header.last!)
        #expect(throws: RESPParsingError(.lengthLimitExceeded, offset: 1)) {
            try parser.next(from: &buffer)
        }
    }

    @Test func bulkLengthExactlyAtTheLimitIsAccepted() throws {
        let limits = RESPParserLimits(maxBulkLength: 1024)
        #expect(needsMore("$1024\r\n", limits: limits))
        let payload = String(repeating: "x", count: 1024)
        let token = try #require(parsed("$1024\r\n" + payload + "\r\n", limits: limits))
        #expect(token.string == payload)
    }

    @Test(arguments: ["!1025\r\n", "=1025\r\n", "*2\r\n$3\r\nabc\r\n$2000\r\n", "%1\r\n+k\r\n=9999\r\n"])
    func bulkErrorsVerbatimStringsAndNestedBulksObeyTheBulkLimit(input: String) {
        #expect(parseError(input, limits: RESPParserLimits(maxBulkLength: 1024))?.code == .lengthLimitExceeded)
    }

    @Test func defaultBulkLimitIsFiveHundredTwelveMebibytes() {
        #expect(parseError("$536870913\r\n")?.code == .lengthLimitExceeded)
        #expect(needsMore("$536870912\r\n", limits: .init()))
    }

    @Test func nullBulkStringIsNotALengthEvenWithAZeroLimit() throws {
        let token = try #require(parsed("$-1\r\n", limits: RESPParserLimits(maxBulkLength: 0)))
        #expect(token.isNull)
        #expect(parseError("$1\r\n", limits: RESPParserLimits(maxBulkLength: 0))?.code == .lengthLimitExceeded)
    }

    // MARK: Aggregate count

    @Test(arguments: ["*5\r\n", "~5\r\n", ">5\r\n"])
    func aggregateCountOverTheLimitIsRejectedFromTheHeaderAlone(input: String) {
        let limits = RESPParserLimits(maxAggregateCount: 4)
        #expect(parseError(input, limits: limits) == RESPParsingError(.countLimitExceeded, offset: 1))
    }

    @Test(arguments: ["*4\r\n", "~4\r\n", ">4\r\n"])
    func aggregateCountAtTheLimitNeedsMore(input: String) {
        #expect(needsMore(input, limits: RESPParserLimits(maxAggregateCount: 4)))
    }

    @Test func mapPairsCountTwiceAgainstTheAggregateLimit() throws {
        let limits = RESPParserLimits(maxAggregateCount: 4)
        #expect(needsMore("%2\r\n", limits: limits))
        #expect(parseError("%3\r\n", limits: limits) == RESPParsingError(.countLimitExceeded, offset: 1))
        let map = try #require(parsed("%2\r\n+a\r\n:1\r\n+b\r\n:2\r\n", limits: limits))
        #expect(map.map?.count == 2)
    }

    @Test func attributePairsCountTwiceAgainstTheAggregateLimit() {
        let limits = RESPParserLimits(maxAggregateCount: 4)
        #expect(needsMore("|2\r\n", limits: limits))
        #expect(parseError("|3\r\n", limits: limits)?.code == .countLimitExceeded)
    }

    @Test func mapWhosePairsWouldExceedAnOddLimitIsRejected() {
        let limits = RESPParserLimits(maxAggregateCount: 5)
        #expect(needsMore("%2\r\n", limits: limits))  // 4 elements
        #expect(parseError("%3\r\n", limits: limits)?.code == .countLimitExceeded)  // 6 elements
    }

    @Test func emptyAndNullAggregatesPassAZeroCountLimit() throws {
        let limits = RESPParserLimits(maxAggregateCount: 0)
        #expect(try #require(parsed("*0\r\n", limits: limits)).array?.count == 0)
        #expect(try #require(parsed("*-1\r\n", limits: limits)).isNull)
        #expect(try #require(parsed("%0\r\n", limits: limits)).map?.count == 0)
        #expect(parseError("*1\r\n", limits: limits)?.code == .countLimitExceeded)
    }

    @Test func nestedAggregateCountOverTheLimitIsRejected() {
        let limits = RESPParserLimits(maxAggregateCount: 4)
        #expect(parseError("*1\r\n*5\r\n", limits: limits) == RESPParsingError(.countLimitExceeded, offset: 5))
    }

    // MARK: Depth

    @Test func nestingOneDeeperThanTheDefaultDepthIsRejected() {
        #expect(parseError(nested(33))?.code == .depthLimitExceeded)
    }

    @Test func nestingOneDeeperThanTheLimitThrowsFromTheHeadersAloneWithoutTheInnerValue() {
        #expect(parseError(String(repeating: "*1\r\n", count: 33)) == RESPParsingError(.depthLimitExceeded, offset: 132))
    }

    @Test func nestingExactlyAtTheDefaultDepthIsAcceptedAndDecodes() throws {
        var reply = try #require(parsed(nested(32), limits: .init()))
        for _ in 0..<32 {
            let elements = try #require(reply.array)
            #expect(elements.count == 1)
            reply = try #require(elements.first(where: { _ in true }))
        }
        #expect(reply.int == 1)
    }

    @Test(arguments: [1, 2, 3, 5])
    func customDepthLimitAcceptsExactlyThatDepth(maxDepth: Int) {
        let limits = RESPParserLimits(maxDepth: maxDepth)
        #expect(parsed(nested(maxDepth), limits: limits) != nil)
        #expect(parseError(nested(maxDepth + 1), limits: limits)?.code == .depthLimitExceeded)
    }

    /// Under a depth limit, `accepted` parses and `rejected` (when given) fails with `depthLimitExceeded`.
    @Test(arguments: [
        // Maps, sets, pushes and attributes count towards depth.
        (3, "%1\r\n+k\r\n~1\r\n>1\r\n:1\r\n", "%1\r\n+k\r\n~1\r\n>1\r\n|1\r\n+a\r\n+b\r\n:1\r\n"),
        // Sibling aggregates do not add up to depth.
        (2, "*3\r\n*1\r\n:1\r\n*1\r\n:2\r\n*1\r\n:3\r\n", nil),
        // A zero limit rejects any non-empty aggregate but accepts scalars.
        (0, "+OK\r\n", "*1\r\n"),
    ] as [(Int, String, String?)])
    func depthLimitCountsNestingNotSiblings(maxDepth: Int, accepted: String, rejected: String?) {
        let limits = RESPParserLimits(maxDepth: maxDepth)
        #expect(parsed(accepted, limits: limits) != nil)
        if let rejected {
            #expect(parseError(rejected, limits: limits)?.code == .depthLimitExceeded)
        }
    }

    // MARK: Line length

    @Test func partialLineLongerThanTheLimitIsRejectedWhileAShorterOneNeedsMore() {
        let limits = RESPParserLimits(maxLineLength: 8)
        #expect(needsMore("+abcdefgh", limits: limits))
        #expect(needsMore("+abcdefgh\r", limits: limits))
        #expect(parseError("+abcdefghi", limits: limits) == RESPParsingError(.lineTooLong, offset: 1))
    }

    @Test func completeLineAtTheLimitIsAcceptedAndOneByteLongerIsRejected() throws {
        let limits = RESPParserLimits(maxLineLength: 8)
        #expect(try #require(parsed("+abcdefgh\r\n", limits: limits)).string == "abcdefgh")
        #expect(parseError("+abcdefghi\r\n", limits: limits)?.code == .lineTooLong)
    }

    @Test(arguments: ["-ERRORSxyz", ":123456789", "$123456789", "*123456789", ",1.2345678", "(123456789", "*1\r\n+abcdefghi"])
    func lineLimitAppliesToErrorsNumbersHeadersAndNestedLines(input: String) {
        #expect(parseError(input, limits: RESPParserLimits(maxLineLength: 8))?.code == .lineTooLong)
    }

    @Test func lineLimitDoesNotApplyToBulkPayloads() throws {
        let limits = RESPParserLimits(maxLineLength: 8)
        let token = try #require(parsed("$20\r\n" + String(repeating: "z", count: 20) + "\r\n", limits: limits))
        #expect(token.string?.count == 20)
    }

    @Test func defaultLineLimitIsSixtyFourKibibytes() throws {
        let atLimit = String(repeating: "a", count: 64 * 1024)
        #expect(try #require(parsed("+" + atLimit + "\r\n", limits: .init())).string?.count == 64 * 1024)
        #expect(parseError("+" + atLimit + "a")?.code == .lineTooLong)
    }

    // MARK: Huge limits

    static let unlimited = RESPParserLimits(maxBulkLength: .max, maxAggregateCount: .max, maxDepth: .max, maxLineLength: .max)

    @Test(arguments: [
        "$9223372036854775807\r\n",
        "$9223372036854775807\r\nabc",
        "!9223372036854775807\r\n",
        "=9223372036854775807\r\n",
        "*9223372036854775807\r\n",
        "~9223372036854775807\r\n",
        ">9223372036854775807\r\n",
        "%4611686018427387903\r\n",
        "|4611686018427387903\r\n",
        "+a line still arriving",
        "*9223372036854775807\r\n$9223372036854775807\r\n",
    ])
    func hugeDeclaredSizesWithIntMaxLimitsNeedMoreWithoutOverflowing(input: String) {
        #expect(needsMore(input, limits: Self.unlimited))
    }

    @Test func mapWhoseElementCountWouldOverflowIntIsRejectedEvenWithIntMaxLimit() {
        #expect(parseError("%9223372036854775807\r\n", limits: Self.unlimited)?.code == .countLimitExceeded)
    }

    @Test func validatingHugeDeclaredBulkWithIntMaxLimitsReportsIncomplete() {
        #expect(throws: RESPParsingError(.incomplete, offset: 22)) {
            try RESPToken(validating: ByteBuffer(string: "$9223372036854775807\r\n"), limits: Self.unlimited)
        }
    }

    @Test func validatingInitializerEnforcesTheLimitsItIsGiven() {
        #expect(throws: RESPParsingError(.countLimitExceeded, offset: 1)) {
            try RESPToken(validating: ByteBuffer(string: "*3\r\n:1\r\n:2\r\n:3\r\n"), limits: .init(maxAggregateCount: 2))
        }
    }
}
