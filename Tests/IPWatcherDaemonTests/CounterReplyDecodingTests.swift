import Detection
@testable import IPWatcherDaemon
import NIOCore
import RESP
import Testing

/// The counter scripts' replies are read only when they hold exactly what their call's units need: one count per
/// unit (fixed), a before/after pair per unit (rolling). Anything else is thrown, not half read.
@Suite("Counters: replies of the wrong size are refused")
struct CounterReplyDecodingTests {
    static let groups = (0..<3).map { UnitCount(unit: DetectionUnit.parse(name: "10.0.0.\($0)")!, windowIndex: 1, count: 2) }

    static func token(_ text: String) throws -> RESPToken {
        try RESPToken(validating: ByteBuffer(string: text))
    }

    @Test("a fixed-window reply with one count per unit is read; one more, one fewer or a non-number is thrown")
    func fixedRepliesMatchTheirUnits() throws {
        let counter = FixedWindowCounter(keys: KeySchema())
        let decoded = try counter.decode(
            [try Self.token("*2\r\n:2\r\n:5\r\n"), try Self.token("*1\r\n:7\r\n")], groups: Self.groups, chunkSize: 2)
        #expect(decoded.counts.map(\.after) == [2, 5, 7])
        #expect(decoded.counts.map(\.before) == [0, 3, 5])
        for reply in ["*2\r\n:1\r\n:1\r\n", "*0\r\n", "*1\r\n$1\r\nx\r\n", ":1\r\n"] {
            #expect(throws: ReplySizeError.self, "\(reply)") {
                _ = try counter.decode(
                    [try Self.token("*2\r\n:2\r\n:5\r\n"), try Self.token(reply)], groups: Self.groups, chunkSize: 2)
            }
        }
        // A reply longer than its call sent units for is refused, however long.
        #expect(throws: ReplySizeError.self) {
            _ = try counter.decode([try Self.token("*3\r\n:1\r\n:1\r\n:1\r\n")], groups: Self.groups, chunkSize: 2)
        }
    }

    @Test("a rolling reply with a before/after pair per unit is read; an odd or longer one is thrown")
    func rollingRepliesMatchTheirUnits() throws {
        let counter = RollingWindowCounter(keys: KeySchema())
        let decoded = try counter.decode(
            [try Self.token("*6\r\n:0\r\n:2\r\n:4\r\n:6\r\n:1\r\n:3\r\n")], groups: Self.groups, chunkSize: 3)
        #expect(decoded.counts.map(\.after) == [2, 6, 3])
        for reply in ["*5\r\n:0\r\n:2\r\n:4\r\n:6\r\n:1\r\n", "*8\r\n:0\r\n:2\r\n:4\r\n:6\r\n:1\r\n:3\r\n:1\r\n:1\r\n"] {
            #expect(throws: ReplySizeError.self, "\(reply)") {
                _ = try counter.decode([try Self.token(reply)], groups: Self.groups, chunkSize: 3)
            }
        }
    }

    @Test("an error reply is reported beside the counts, not thrown as a malformed reply")
    func errorRepliesAreReported() throws {
        let counter = FixedWindowCounter(keys: KeySchema())
        let decoded = try counter.decode(
            [try Self.token("-WRONGTYPE no (key k)\r\n"), try Self.token("*1\r\n:7\r\n")], groups: Self.groups,
            chunkSize: 2)
        #expect(decoded.errors.map(\.code) == ["WRONGTYPE"])
        #expect(decoded.counts.map(\.after) == [7])
    }
}
