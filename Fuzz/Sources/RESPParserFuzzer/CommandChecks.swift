import FuzzSupport
import NIOCore
import RESP

/// Encodes a command built from the input and parses it back: the encoder and the parser must agree.
///
/// Commands carry bytes that came from outside (queue entries become keys and members), so every byte value
/// and every length must survive encoding as the bulk string it was.
enum CommandChecks {
    /// Builds a command from pieces of `input` at `cuts`, plus numbers drawn from `random`, and checks it.
    static func check(_ input: [UInt8], cuts: [Int], random: inout SplitMix64) {
        var pieces: [ByteBuffer] = []
        var start = 0
        for end in cuts + [input.count] where end >= start {
            pieces.append(ByteBuffer(bytes: input[start..<end]))
            start = end
        }
        let integer = Int64(bitPattern: random.next()) >> random.int(below: 64)
        var double = Double(bitPattern: random.next())
        // NaN is documented as not to be sent (Redis refuses it), so it is not a case to check.
        if double.isNaN { double = -0.0 }
        let absent: String? = nil
        let command = RESPCommand("FUZZ", pieces, integer, absent, double)

        let token: RESPToken
        do {
            token = try RESPToken(validating: command.bytes)
        } catch {
            fatalError("an encoded command does not parse: \(error)")
        }
        guard command.name == "FUZZ", let elements = token.array, elements.count == pieces.count + 3 else {
            fatalError("an encoded command is not an array of its \(pieces.count + 3) arguments")
        }
        let decoded = Array(elements)
        let expected = [ByteBuffer(string: "FUZZ")] + pieces
        for (index, piece) in expected.enumerated() {
            guard decoded[index].type == .bulkString, decoded[index].bytes == piece else {
                fatalError("argument \(index) did not survive encoding: \(decoded[index])")
            }
        }
        guard decoded[expected.count].int == integer else {
            fatalError("\(integer) did not survive encoding: \(decoded[expected.count])")
        }
        let text = decoded[expected.count + 1].string ?? ""
        let parsed = double.isInfinite ? (text == "inf" ? .infinity : text == "-inf" ? -.infinity : nil) : Double(text)
        guard parsed == double, parsed?.sign == double.sign else {
            fatalError("\(double) did not survive encoding: \(text.debugDescription)")
        }

        // The two-part bulk writer must frame exactly like one bulk string of both parts together.
        let split = cuts.first ?? 0
        var joined = ByteBuffer()
        var whole = ByteBuffer()
        input.withUnsafeBytes { bytes in
            joined.writeRESPBulk(
                parts: UnsafeRawBufferPointer(rebasing: bytes[..<split]), UnsafeRawBufferPointer(rebasing: bytes[split...]))
            whole.writeRESPBulk(bytes)
        }
        guard joined == whole else { fatalError("writeRESPBulk(parts:) differs from writeRESPBulk") }
    }
}
