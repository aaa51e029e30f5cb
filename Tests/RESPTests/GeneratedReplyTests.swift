import NIOCore
import Testing
import Traffic

@testable import RESP

/// A reply as plain data, to generate random replies and compare what the parser decodes against.
indirect enum ReplyModel: Equatable {
    case simpleString(String)
    case simpleError(String)
    case integer(Int64)
    case bulkString([UInt8])
    /// 0: `$-1`, 1: `*-1`, 2: `_`.
    case null(form: Int)
    case boolean(Bool)
    case double(Double)
    case bigNumber(String)
    case bulkError([UInt8])
    case verbatimString(format: String, text: [UInt8])
    case array([ReplyModel])
    case set([ReplyModel])
    case push([ReplyModel])
    case map([Pair])
    case attribute([Pair], ReplyModel)

    struct Pair: Equatable {
        var key: ReplyModel
        var value: ReplyModel
    }

    /// The RESP bytes of this reply.
    var encoded: [UInt8] {
        func line(_ prefix: String, _ text: String) -> [UInt8] { Array((prefix + text + "\r\n").utf8) }
        func bulk(_ prefix: String, _ payload: [UInt8]) -> [UInt8] { line(prefix, String(payload.count)) + payload + [0x0D, 0x0A] }
        func aggregate(_ prefix: String, _ elements: [ReplyModel]) -> [UInt8] {
            line(prefix, String(elements.count)) + elements.flatMap(\.encoded)
        }
        func pairs(_ pairs: [Pair]) -> [UInt8] { pairs.flatMap { $0.key.encoded + $0.value.encoded } }
        switch self {
        case .simpleString(let text): return line("+", text)
        case .simpleError(let text): return line("-", text)
        case .integer(let value): return line(":", String(value))
        case .bulkString(let payload): return bulk("$", payload)
        case .null(let form): return Array(["$-1\r\n", "*-1\r\n", "_\r\n"][form].utf8)
        case .boolean(let value): return line("#", value ? "t" : "f")
        case .double(let value):
            return line(",", value == .infinity ? "inf" : value == -.infinity ? "-inf" : "\(value)")
        case .bigNumber(let digits): return line("(", digits)
        case .bulkError(let payload): return bulk("!", payload)
        case .verbatimString(let format, let text): return bulk("=", Array((format + ":").utf8) + text)
        case .array(let elements): return aggregate("*", elements)
        case .set(let elements): return aggregate("~", elements)
        case .push(let elements): return aggregate(">", elements)
        case .map(let entries): return line("%", String(entries.count)) + pairs(entries)
        case .attribute(let entries, let annotated): return line("|", String(entries.count)) + pairs(entries) + annotated.encoded
        }
    }

    /// Rebuilds the model from a parsed token, using only the public decoding API.
    init(_ token: RESPToken) {
        func bytes(_ buffer: ByteBuffer) -> [UInt8] { Array(buffer.readableBytesView) }
        switch token.value {
        case .simpleString(let buffer): self = .simpleString(String(buffer: buffer))
        case .simpleError(let buffer): self = .simpleError(String(buffer: buffer))
        case .integer(let value): self = .integer(value)
        case .bulkString(let buffer): self = .bulkString(bytes(buffer))
        case .null: self = .null(form: token.type == .bulkString ? 0 : token.type == .array ? 1 : 2)
        case .boolean(let value): self = .boolean(value)
        case .double(let value): self = .double(value)
        case .bigNumber(let buffer): self = .bigNumber(String(buffer: buffer))
        case .bulkError(let buffer): self = .bulkError(bytes(buffer))
        case .verbatimString(let format, let text): self = .verbatimString(format: String(buffer: format), text: bytes(text))
        case .array(let elements): self = .array(elements.map(ReplyModel.init))
        case .set(let elements): self = .set(elements.map(ReplyModel.init))
        case .push(let elements): self = .push(elements.map(ReplyModel.init))
        case .map(let pairs): self = .map(pairs.map { Pair(key: ReplyModel($0.key), value: ReplyModel($0.value)) })
        case .attribute(let pairs, let annotated):
            self = .attribute(pairs.map { Pair(key: ReplyModel($0.key), value: ReplyModel($0.value)) }, ReplyModel(annotated))
        }
    }


    /// A random reply at most `depth` aggregates deep.
    static func random(depth: Int, using rng: inout SplitMix64) -> ReplyModel {
        func text() -> String {
            let alphabet = Array("abcXYZ 019-:é日")
            return String((0..<rng.next(in: 0...8)).map { _ in alphabet[rng.next(in: 0...(alphabet.count - 1))] })
        }
        func payload() -> [UInt8] {
            let interesting: [UInt8] = [0x00, 0x0D, 0x0A, 0x24, 0x2A, 0x3A, 0xFF, 0x41]
            return (0..<rng.next(in: 0...12)).map { _ in interesting[rng.next(in: 0...(interesting.count - 1))] }
        }
        func elements() -> [ReplyModel] {
            (0..<rng.next(in: 0...4)).map { _ in random(depth: depth - 1, using: &rng) }
        }
        func pairs() -> [Pair] {
            (0..<rng.next(in: 0...3)).map { _ in
                Pair(key: random(depth: depth - 1, using: &rng), value: random(depth: depth - 1, using: &rng))
            }
        }
        let kinds = depth > 0 ? 15 : 10
        switch rng.next(in: 0...(kinds - 1)) {
        case 0: return .simpleString(text())
        case 1: return .simpleError("ERR " + text())
        case 2:
            let specials: [Int64] = [0, -1, 1, .min, .max]
            return .integer(rng.next() % 3 == 0 ? specials[rng.next(in: 0...4)] : Int64(bitPattern: rng.next()) >> 20)
        case 3: return .bulkString(payload())
        case 4: return .null(form: rng.next(in: 0...2))
        case 5: return .boolean(rng.next() % 2 == 0)
        case 6:
            let specials: [Double] = [.infinity, -.infinity, 0, -0.5, 1e300, .leastNonzeroMagnitude]
            return .double(
                rng.next() % 3 == 0 ? specials[rng.next(in: 0...5)] : Double(Int64(bitPattern: rng.next()) >> 30) / 64)
        case 7:
            let digits = String((0..<rng.next(in: 1...60)).map { _ in Character(String(rng.next(in: 0...9))) })
            return .bigNumber((rng.next() % 2 == 0 ? "-" : "") + digits)
        case 8: return .bulkError(Array("ERR ".utf8) + payload())
        case 9: return .verbatimString(format: rng.next() % 2 == 0 ? "txt" : "mkd", text: payload())
        case 10: return .array(elements())
        case 11: return .set(elements())
        case 12: return .push(elements())
        case 13: return .map(pairs())
        default: return .attribute(pairs(), random(depth: depth - 1, using: &rng))
        }
    }
}

@Suite struct GeneratedReplyTests {
    @Test func seededRandomRepliesDecodeBackToTheValuesTheyWereEncodedFrom() throws {
        var rng = SplitMix64(seed: 0xC0FF_EE00_1234_5678)
        for iteration in 0..<500 {
            let model = ReplyModel.random(depth: 4, using: &rng)
            let bytes = model.encoded
            let token = try RESPToken(validating: ByteBuffer(bytes: bytes))
            #expect(bytesOf(token.base) == bytes, "iteration \(iteration)")
            #expect(ReplyModel(token) == model, "iteration \(iteration): \(escaped(bytes))")
        }
    }

    @Test func seededRandomReplyStreamsParseTheSameInRandomChunks() throws {
        var rng = SplitMix64(seed: 0xFEED_FACE_0000_0001)
        for iteration in 0..<300 {
            let models = (0..<rng.next(in: 1...6)).map { _ in ReplyModel.random(depth: 3, using: &rng) }
            let stream = models.flatMap(\.encoded)
            var parser = RESPParser()
            var buffer = ByteBuffer()
            var decoded: [ReplyModel] = []
            var offset = 0
            while offset < stream.count {
                let size = min(stream.count - offset, rng.next(in: 1...24))
                buffer.writeBytes(stream[offset..<(offset + size)])
                offset += size
                while let token = try parser.next(from: &buffer) { decoded.append(ReplyModel(token)) }
            }
            #expect(decoded == models, "iteration \(iteration)")
            #expect(buffer.readableBytes == 0)
        }
    }
}
