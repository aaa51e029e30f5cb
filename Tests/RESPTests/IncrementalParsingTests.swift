import NIOCore
import Testing
import Traffic

@testable import RESP

@Suite struct IncrementalParsingTests {
    /// Feeds `bytes` in chunks of the given sizes to one parser, collecting tokens after every chunk and checking
    /// that each nil leaves the buffer exactly as it was.
    private func parseInChunks(
        _ bytes: [UInt8], sizes: [Int], discardReadBytes: [Bool] = []
    ) throws -> (tokens: [RESPToken], rest: [UInt8]) {
        var parser = RESPParser()
        var buffer = ByteBuffer()
        var tokens: [RESPToken] = []
        var offset = 0
        for (index, size) in sizes.enumerated() {
            if index < discardReadBytes.count, discardReadBytes[index] { buffer.discardReadBytes() }
            buffer.writeBytes(bytes[offset..<(offset + size)])
            offset += size
            while true {
                let before = buffer
                guard let token = try parser.next(from: &buffer) else {
                    #expect(buffer.readerIndex == before.readerIndex)
                    #expect(buffer.writerIndex == before.writerIndex)
                    #expect(buffer == before)
                    break
                }
                #expect(buffer.readerIndex == before.readerIndex + token.base.readableBytes)
                tokens.append(token)
            }
        }
        precondition(offset == bytes.count, "chunk sizes must add up to the input length")
        return (tokens, bytesOf(buffer))
    }

    /// Splits `count` bytes into random chunk sizes of at most `maxChunk`.
    private func randomSizes(_ count: Int, maxChunk: Int, using rng: inout SplitMix64) -> [Int] {
        var sizes: [Int] = []
        var left = count
        while left > 0 {
            let size = min(left, rng.next(in: 1...maxChunk))
            sizes.append(size)
            left -= size
        }
        return sizes
    }

    private static let stream: [UInt8] = Fixtures.validReplies.flatMap(\.bytes)

    // MARK: One byte at a time

    @Test(arguments: Fixtures.validReplies)
    func replyFedOneByteAtATimeIsNilUntilItsLastByteThenTheWholeReply(reply: RawReply) throws {
        var parser = RESPParser()
        var buffer = ByteBuffer()
        for (index, byte) in reply.bytes.enumerated() {
            buffer.writeInteger(byte)
            let readerIndex = buffer.readerIndex
            let parsed = try parser.next(from: &buffer)
            if index < reply.bytes.count - 1 {
                #expect(parsed == nil, "returned a token after only \(index + 1) of \(reply.bytes.count) bytes")
                #expect(buffer.readerIndex == readerIndex)
                #expect(buffer.readableBytes == index + 1)
            } else {
                let token = try #require(parsed)
                #expect(bytesOf(token.base) == reply.bytes)
                #expect(token == (try RESPToken(validating: reply.buffer)))
                #expect(buffer.readableBytes == 0)
            }
        }
        #expect(try parser.next(from: &buffer) == nil)
    }

    @Test(arguments: Fixtures.validReplies)
    func everyProperPrefixOfAValidReplyNeedsMoreOnAFreshParser(reply: RawReply) throws {
        for length in 0..<reply.bytes.count {
            var parser = RESPParser()
            var buffer = ByteBuffer(bytes: reply.bytes[..<length])
            #expect(try parser.next(from: &buffer) == nil, "prefix of \(length) bytes")
            #expect(buffer.readableBytes == length)
        }
    }

    @Test(arguments: Fixtures.validReplies)
    func replySplitInTwoAtEveryByteParsesTheSame(reply: RawReply) throws {
        for split in 0...reply.bytes.count {
            let sizes = [split, reply.bytes.count - split]
            let (tokens, rest) = try parseInChunks(reply.bytes, sizes: sizes)
            #expect(tokens.map { bytesOf($0.base) } == [reply.bytes], "split at \(split)")
            #expect(rest.isEmpty)
        }
    }

    @Test func bulkStringSplitAtEveryByteParsesTheSame() throws {
        let reply = Array("$12\r\nhello\r\nworld\r\n".utf8)
        for split in 0...reply.count {
            let (tokens, rest) = try parseInChunks(reply, sizes: [split, reply.count - split])
            #expect(tokens.count == 1)
            #expect(tokens.first?.string == "hello\r\nworld")
            #expect(rest.isEmpty)
        }
    }

    @Test func concatenatedStreamFedOneByteAtATimeYieldsTheSameTokensAsAllAtOnce() throws {
        let all = try parseAllAtOnce(Self.stream)
        #expect(all.tokens.map { bytesOf($0.base) } == Fixtures.validReplies.map(\.bytes))
        #expect(all.rest.isEmpty)

        let (tokens, rest) = try parseInChunks(Self.stream, sizes: Array(repeating: 1, count: Self.stream.count))
        #expect(tokens.map { bytesOf($0.base) } == all.tokens.map { bytesOf($0.base) })
        #expect(tokens == all.tokens)
        #expect(rest.isEmpty)
    }

    // MARK: Random splits

    @Test func concatenatedStreamWithSeededRandomSplitsParsesTheSameAsAllAtOnce() throws {
        var rng = SplitMix64(seed: 0x5EED_1234_ABCD_0001)
        for iteration in 0..<400 {
            // A different order of the replies each time, so every reply is preceded and followed by others.
            var replies = Fixtures.validReplies
            for index in stride(from: replies.count - 1, to: 0, by: -1) {
                replies.swapAt(index, rng.next(in: 0...index))
            }
            let stream = replies.flatMap(\.bytes)
            let maxChunk = [1, 2, 3, 7, 16, 64, 512][iteration % 7]
            let sizes = randomSizes(stream.count, maxChunk: maxChunk, using: &rng)
            let discards = sizes.map { _ in rng.next() % 4 == 0 }
            let (tokens, rest) = try parseInChunks(stream, sizes: sizes, discardReadBytes: discards)
            #expect(tokens.map { bytesOf($0.base) } == replies.map(\.bytes), "iteration \(iteration)")
            #expect(rest.isEmpty)
        }
    }

    @Test(arguments: Fixtures.validReplies)
    func replyWithSeededRandomSplitsParsesTheSame(reply: RawReply) throws {
        var rng = SplitMix64(seed: UInt64(reply.bytes.count) &* 0x1_0000_0001)
        for iteration in 0..<60 {
            let sizes = randomSizes(reply.bytes.count, maxChunk: 1 + iteration % 9, using: &rng)
            let (tokens, rest) = try parseInChunks(reply.bytes, sizes: sizes)
            #expect(tokens.map { bytesOf($0.base) } == [reply.bytes], "sizes \(sizes)")
            #expect(rest.isEmpty)
        }
    }

    // MARK: Buffer handling

    @Test func emptyBufferNeedsMore() throws {
        var parser = RESPParser()
        var buffer = ByteBuffer()
        #expect(try parser.next(from: &buffer) == nil)
    }

    @Test func nilLeavesReaderIndexWriterIndexAndBytesUntouched() throws {
        var buffer = ByteBuffer(string: "xxxx*2\r\n$5\r\nhel")
        buffer.moveReaderIndex(forwardBy: 4)
        let before = buffer
        var parser = RESPParser()
        #expect(try parser.next(from: &buffer) == nil)
        #expect(buffer.readerIndex == 4)
        #expect(buffer.writerIndex == before.writerIndex)
        #expect(buffer == before)
        // Still nil on a second call with nothing new.
        #expect(try parser.next(from: &buffer) == nil)
        #expect(buffer.readerIndex == 4)
        buffer.writeString("lo\r\n:1\r\n")
        let token = try #require(try parser.next(from: &buffer))
        #expect(token.base == ByteBuffer(string: "*2\r\n$5\r\nhello\r\n:1\r\n"))
    }

    @Test func afterATokenTheRemainingBytesStartTheNextReply() throws {
        var buffer = ByteBuffer(string: "$5\r\nhello\r\n*2\r\n:1")
        var parser = RESPParser()
        let first = try #require(try parser.next(from: &buffer))
        #expect(first.string == "hello")
        #expect(buffer.readerIndex == 11)
        #expect(bytesOf(buffer) == Array("*2\r\n:1".utf8))
        #expect(try parser.next(from: &buffer) == nil)
        buffer.writeString("\r\n:2\r\n+next\r\n")
        let second = try #require(try parser.next(from: &buffer))
        #expect(second.array?.map(\.int) == [1, 2])
        #expect(bytesOf(buffer) == Array("+next\r\n".utf8))
    }

    @Test func parserReturnsOneReplyPerCallNeverMerging() throws {
        var buffer = ByteBuffer(string: "+a\r\n+b\r\n+c\r\n")
        var parser = RESPParser()
        var strings: [String?] = []
        while let token = try parser.next(from: &buffer) { strings.append(token.string) }
        #expect(strings == ["a", "b", "c"])
        #expect(buffer.readableBytes == 0)
    }

    @Test func progressSurvivesDiscardingReadBytesBetweenCalls() throws {
        var buffer = ByteBuffer(string: "+first\r\n*3\r\n:1\r\n")
        var parser = RESPParser()
        #expect(try parser.next(from: &buffer)?.string == "first")
        #expect(try parser.next(from: &buffer) == nil)
        buffer.discardReadBytes()
        #expect(buffer.readerIndex == 0)
        buffer.writeString(":2\r\n:3\r\n")
        let token = try #require(try parser.next(from: &buffer))
        #expect(token.array?.map(\.int) == [1, 2, 3])
    }

    @Test func resetForgetsAPartlyScannedReply() throws {
        var parser = RESPParser()
        var partial = ByteBuffer(string: "*2\r\n:1\r\n")
        #expect(try parser.next(from: &partial) == nil)
        parser.reset()
        var fresh = ByteBuffer(string: "+OK\r\n")
        let token = try #require(try parser.next(from: &fresh))
        #expect(token.string == "OK")
        #expect(fresh.readableBytes == 0)
    }

    @Test func deeplyNestedReplyAtTheDepthLimitParsesOneByteAtATime() throws {
        let reply = Array((String(repeating: "*1\r\n", count: 32) + ":1\r\n").utf8)
        let (tokens, rest) = try parseInChunks(reply, sizes: Array(repeating: 1, count: reply.count))
        #expect(tokens.map { bytesOf($0.base) } == [reply])
        #expect(rest.isEmpty)
    }
}
