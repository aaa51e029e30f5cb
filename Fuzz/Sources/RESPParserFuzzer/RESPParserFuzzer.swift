import FuzzSupport
import NIOCore
import RESP

/// libFuzzer's entry point: checks the RESP parser's invariants on one input, taken as a byte stream from a server.
///
/// A broken invariant stops the process with `fatalError`, which libFuzzer reports as a crash and saves the input
/// as a reproducer; a trap inside the parser itself is reported the same way. Always returns 0 otherwise.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    RESPParserFuzzing.check(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

/// The checks, grouped so the entry point stays a one-liner.
///
/// Every variation of how the bytes arrive (one piece, a few pieces, tiny pieces, with the consumed bytes
/// discarded in between, through a parser reused after reset) must cut exactly the same replies and end the same
/// way, because the client sees whatever split the kernel hands it. Every reply cut must then decode without
/// trapping, and what it decodes to must agree with its bytes.
enum RESPParserFuzzing {
    /// Limits well below the defaults, so the limit checks are reached with small inputs.
    static let tightLimits = RESPParserLimits(maxBulkLength: 16, maxAggregateCount: 6, maxDepth: 3, maxLineLength: 12)

    /// Runs every check on `input`.
    static func check(_ input: [UInt8]) {
        var random = SplitMix64(seeding: input)

        let whole = parse(input, limits: .init(), cuts: [])
        // A few data-derived cut points: the same input always splits the same way, so crashes reproduce.
        let fewCuts = (0..<3).map { _ in random.int(below: input.count + 1) }.sorted()
        expectSame(whole, parse(input, limits: .init(), cuts: fewCuts), "split at \(fewCuts)")
        expectSame(
            whole, parse(input, limits: .init(), cuts: fewCuts, discardReadBytes: true),
            "split at \(fewCuts), discarding read bytes")
        // Small pieces rescan each header line once per piece, so they are kept to inputs where that stays cheap.
        if input.count <= 2048 {
            let step = 1 + random.int(below: 7)
            let pieces = Array(stride(from: step, to: input.count, by: step))
            expectSame(whole, parse(input, limits: .init(), cuts: pieces), "\(step)-byte pieces")
        }
        expectSame(whole, parseAfterReset(input), "parser reused after reset()")

        // Tighter limits accept a subset of what the defaults accept: the same replies, up to a limit error.
        let derivedLimits = RESPParserLimits(
            maxBulkLength: random.int(below: 65), maxAggregateCount: random.int(below: 17),
            maxDepth: random.int(below: 9), maxLineLength: random.int(below: 65))
        for limits in [tightLimits, derivedLimits] {
            let limited = parse(input, limits: limits, cuts: [])
            expectSubset(limited, of: whole, limits: limits)
            let limitedSplit = parse(input, limits: limits, cuts: fewCuts)
            expectSame(limited, limitedSplit, "limits \(limits), split at \(fewCuts)")
        }

        checkValidating(input, whole: whole)
        // Name lookup parses whatever bytes it is handed; arbitrary ones must give "?" or a name, never trap.
        _ = RESPCommand.name(of: ByteBuffer(bytes: input))
        if input.count <= 4096 { CommandChecks.check(input, cuts: fewCuts, random: &random) }
        for reply in whole.replies {
            ReplyChecks.check(reply, depth: 0)
            // The description walks at most 16 elements per level; it must not trap on any reply.
            guard !reply.description.isEmpty else { fail("empty description", reply) }
        }
        if case .failed(let error) = whole.end, error.description.isEmpty { fatalError("empty error description") }
    }

    /// How parsing a whole stream ended.
    enum End: Equatable {
        /// Out of bytes, with this many bytes left over that do not yet form a reply.
        case needMore(leftover: Int)
        /// The parser threw; the stream is unusable from here on.
        case failed(RESPParsingError)
    }

    /// What parsing a stream produced: the replies cut, in order, then how it ended.
    struct Outcome {
        /// The replies, as the parser returned them.
        var replies: [RESPToken] = []
        /// How the stream ended.
        var end: End = .needMore(leftover: 0)

        /// The replies' bytes, which is what two outcomes must agree on.
        var replyBytes: [[UInt8]] { replies.map { Array($0.base.readableBytesView) } }
    }

    /// Feeds `input` to one fresh parser in pieces ending at `cuts`, draining it after every piece.
    ///
    /// Also checks the contract of ``RESPParser/next(from:)`` at each call: nil leaves the buffer untouched, a
    /// reply consumes exactly its own bytes from the front.
    static func parse(
        _ input: [UInt8], limits: RESPParserLimits, cuts: [Int], discardReadBytes: Bool = false
    ) -> Outcome {
        var parser = RESPParser(limits: limits)
        return feed(input, to: &parser, cuts: cuts, discardReadBytes: discardReadBytes)
    }

    /// Parses `input` once with a parser, resets it, and parses `input` again: the second run must be a fresh start.
    static func parseAfterReset(_ input: [UInt8]) -> Outcome {
        var parser = RESPParser()
        // Stop half-way, so the parser is left with a reply in progress whenever the input has one.
        _ = feed(Array(input.prefix(input.count / 2)), to: &parser, cuts: [], discardReadBytes: false)
        parser.reset()
        return feed(input, to: &parser, cuts: [], discardReadBytes: false)
    }

    /// The loop behind ``parse(_:limits:cuts:discardReadBytes:)``, on a caller's parser.
    static func feed(
        _ input: [UInt8], to parser: inout RESPParser, cuts: [Int], discardReadBytes: Bool
    ) -> Outcome {
        var outcome = Outcome()
        var buffer = ByteBuffer()
        var start = 0
        for end in cuts + [input.count] where end >= start {
            if discardReadBytes { buffer.discardReadBytes() }
            buffer.writeBytes(input[start..<end])
            start = end
            while true {
                let before = buffer
                let token: RESPToken?
                do {
                    token = try parser.next(from: &buffer)
                } catch {
                    outcome.end = .failed(error)
                    return outcome
                }
                guard let token else {
                    guard buffer == before, buffer.readerIndex == before.readerIndex,
                        buffer.writerIndex == before.writerIndex
                    else { fatalError("next(from:) returned nil but changed the buffer") }
                    break
                }
                let length = token.base.readableBytes
                guard length > 0, buffer.readerIndex == before.readerIndex + length,
                    before.getSlice(at: before.readerIndex, length: length) == token.base
                else { fatalError("a reply of \(length) bytes did not consume exactly its own bytes") }
                outcome.replies.append(token)
            }
        }
        outcome.end = .needMore(leftover: buffer.readableBytes)
        return outcome
    }

    /// Stops unless two ways of parsing the same bytes cut the same replies and ended the same way.
    static func expectSame(_ expected: Outcome, _ actual: Outcome, _ how: String) {
        guard expected.replyBytes == actual.replyBytes, expected.end == actual.end else {
            fatalError(
                "parsing \(how) disagrees with parsing the whole input: \(actual.replies.count) replies, "
                    + "\(actual.end) instead of \(expected.replies.count) replies, \(expected.end)")
        }
    }

    /// Stops unless `limited`, parsed under `limits`, is what the defaults cut up to the first limit error.
    ///
    /// Limits only add checks, so until one of them fires both parsers take exactly the same steps.
    static func expectSubset(_ limited: Outcome, of whole: Outcome, limits: RESPParserLimits) {
        let limitCodes: Set<RESPParsingError.Code> = [
            .lengthLimitExceeded, .countLimitExceeded, .depthLimitExceeded, .lineTooLong,
        ]
        if case .failed(let error) = limited.end, limitCodes.contains(error.code) {
            guard limited.replyBytes.count <= whole.replyBytes.count,
                Array(whole.replyBytes.prefix(limited.replyBytes.count)) == limited.replyBytes
            else { fatalError("under \(limits) the replies before a limit error differ from the defaults'") }
            return
        }
        expectSame(whole, limited, "under \(limits)")
    }

    /// Stops unless ``RESPToken/init(validating:limits:)`` on the whole input agrees with the stream parse.
    static func checkValidating(_ input: [UInt8], whole: Outcome) {
        let result = Result { () throws(RESPParsingError) in try RESPToken(validating: ByteBuffer(bytes: input)) }
        let expected: Result<RESPToken, RESPParsingError>
        if let first = whole.replies.first {
            let length = first.base.readableBytes
            expected = length == input.count ? .success(first) : .failure(RESPParsingError(.trailingBytes, offset: length))
        } else if case .failed(let error) = whole.end {
            expected = .failure(error)
        } else {
            expected = .failure(RESPParsingError(.incomplete, offset: input.count))
        }
        guard result == expected else { fatalError("init(validating:) gave \(result), the parser \(expected)") }
    }

    /// Stops the process, naming the invariant and showing the reply it failed on.
    static func fail(_ message: String, _ reply: RESPToken) -> Never {
        fatalError("\(message): \(escaped(Array(reply.base.readableBytesView)))")
    }
}

/// Renders bytes with CR, LF and other unprintable bytes escaped, cut after 120 bytes, for failure messages.
func escaped(_ bytes: [UInt8]) -> String {
    var text = ""
    for byte in bytes.prefix(120) {
        switch byte {
        case 0x0D: text += "\\r"
        case 0x0A: text += "\\n"
        case 0x20..<0x7F where byte != 0x5C: text.unicodeScalars.append(Unicode.Scalar(byte))
        default:
            let hex = String(byte, radix: 16)
            text += "\\x" + (hex.count == 1 ? "0" + hex : hex)
        }
    }
    return bytes.count > 120 ? text + "… (\(bytes.count) bytes)" : text
}
