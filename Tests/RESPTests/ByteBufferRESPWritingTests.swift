import NIOCore
import Testing
import Traffic

@testable import RESP

@Suite struct ByteBufferRESPWritingTests {
    static let boundaryValues: [Int64] = {
        var values: [Int64] = [0, 9, 10, 99, 100, -1, -9, -10, -99, -100, Int64.min, Int64.max, Int64.min + 1, Int64.max - 1]
        var power: Int64 = 1
        for _ in 0...18 {
            values += [power - 1, power, power + 1, -(power - 1), -power, -(power + 1)]
            if power <= Int64.max / 10 { power *= 10 }
        }
        return values
    }()

    @Test(arguments: boundaryValues)
    func decimalLengthMatchesTheLengthOfTheDecimalText(value: Int64) {
        #expect(ByteBuffer.decimalLength(of: value) == String(value).utf8.count)
    }

    @Test(arguments: boundaryValues)
    func writeDecimalWritesTheDecimalTextAndDecimalLengthBytes(value: Int64) {
        var buffer = ByteBuffer()
        buffer.writeDecimal(value)
        #expect(buffer == ByteBuffer(string: String(value)))
        #expect(buffer.readableBytes == ByteBuffer.decimalLength(of: value))
    }

    @Test func decimalLengthMatchesForSeededRandomValues() {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<2_000 {
            let value = Int64(bitPattern: rng.next()) >> (rng.next() % 64)
            #expect(ByteBuffer.decimalLength(of: value) == String(value).utf8.count, "value \(value)")
        }
    }

    @Test func writeRESPCRLFWritesCarriageReturnThenLineFeed() {
        var buffer = ByteBuffer()
        buffer.writeRESPCRLF()
        #expect(bytesOf(buffer) == [0x0D, 0x0A])
    }

    @Test(arguments: [0, 1, 9, 10, 512 * 1024 * 1024])
    func writeRESPBulkHeaderWritesDollarLengthCRLF(length: Int) {
        var buffer = ByteBuffer()
        buffer.writeRESPBulkHeader(length: length)
        #expect(buffer == ByteBuffer(string: "$\(length)\r\n"))
    }

    @Test func writeRESPBulkWritesAWholeValidBulkString() throws {
        var buffer = ByteBuffer()
        Fixtures.binaryPayload.withUnsafeBytes { buffer.writeRESPBulk($0) }
        #expect(bytesOf(buffer) == Fixtures.binaryBulk)
        #expect(bytesOf(try #require(try RESPToken(validating: buffer).bytes)) == Fixtures.binaryPayload)
    }
}
