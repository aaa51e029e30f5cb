import Detection
import Testing
import Traffic

@Suite("Queue entry parsing")
struct QueueEntryParserTests {
    static func parse(bytes: [UInt8]) -> Result<QueueEntry, EntryRejection> {
        bytes.withUnsafeBytes { QueueEntryParser.parse($0) }
    }

    @Test(
        "valid entries parse to their address and time",
        arguments: [
            ("1.2.3.4", "1.2.3.4", nil),
            ("2001:db8::1", "2001:db8::1", nil),
            ("::ffff:1.2.3.4", "::ffff:1.2.3.4", nil),
            ("1.2.3.4 0", "1.2.3.4", 0),
            ("1.2.3.4 1718000000123", "1.2.3.4", 1_718_000_000_123),
            ("2001:db8::1 1718000000123", "2001:db8::1", 1_718_000_000_123),
            ("1.2.3.4 9999999999999999", "1.2.3.4", 9_999_999_999_999_999),
            ("1.2.3.4 0000000000000001", "1.2.3.4", 1),
            ("::ffff:1.2.3.4 5", "::ffff:1.2.3.4", 5),
            ("0000:0000:0000:0000:0000:ffff:255.255.255.255 1234567890123456", "::ffff:255.255.255.255", 1_234_567_890_123_456),
        ] as [(String, String, Int64?)])
    func validEntries(text: String, address: String, time: Int64?) throws {
        let expected = QueueEntry(address: try #require(IPAddress(address)), eventTimeMilliseconds: time)
        #expect(QueueEntryParser.parse(text) == .success(expected))
        #expect(Self.parse(bytes: Array(text.utf8)) == .success(expected))
    }

    @Test(
        "each malformed entry is refused with its reason",
        arguments: [
            // Empty.
            ("", EntryRejection.empty),
            // Control characters, wherever they are.
            ("1.2.3.4\t", .controlCharacter),
            ("\t1.2.3.4", .controlCharacter),
            ("1.2.3.4\n", .controlCharacter),
            ("1.2.3.4\r\n", .controlCharacter),
            ("1.2.\u{0}3.4", .controlCharacter),
            ("\u{0}", .controlCharacter),
            ("1.2.3.4\u{7F}", .controlCharacter),
            ("1.2.3.4 123\n", .controlCharacter),
            ("1.2.3.4 1\t23", .controlCharacter),
            ("\u{1B}[31m1.2.3.4", .controlCharacter),
            ("not an address\n", .controlCharacter),
            // Not an address, including whitespace that is not stripped and non-ASCII text.
            (" 1.2.3.4", .notAnAddress),
            (" ", .notAnAddress),
            ("  ", .notAnAddress),
            (" 123", .notAnAddress),
            ("1.2.3.4x", .notAnAddress),
            ("localhost", .notAnAddress),
            ("1.2.3.4:80", .notAnAddress),
            ("[::1]", .notAnAddress),
            ("fe80::1%eth0", .notAnAddress),
            ("fe80::1%eth0 123", .notAnAddress),
            ("01.2.3.4", .notAnAddress),
            ("256.0.0.1 123", .notAnAddress),
            ("1.2.3.4/32", .notAnAddress),
            ("::1é", .notAnAddress),
            ("1.2.3.4 12é", .notAnAddress),
            ("ąćę", .notAnAddress),
            ("１.２.３.４", .notAnAddress),
            // Valid address, bad time.
            ("1.2.3.4 ", .badTimestamp),
            ("::1 ", .badTimestamp),
            ("1.2.3.4  123", .badTimestamp),
            ("1.2.3.4 12a", .badTimestamp),
            ("1.2.3.4 -5", .badTimestamp),
            ("1.2.3.4 +5", .badTimestamp),
            ("1.2.3.4 1.5", .badTimestamp),
            ("1.2.3.4 0x10", .badTimestamp),
            ("1.2.3.4 1e9", .badTimestamp),
            ("1.2.3.4 1 2", .badTimestamp),
            ("1.2.3.4 123 ", .badTimestamp),
            ("1.2.3.4 12345678901234567", .badTimestamp),
            ("1.2.3.4 99999999999999999999", .badTimestamp),
            ("2001:db8::1 abc", .badTimestamp),
            ("1.2.3.4 1.2.3.4", .badTimestamp),
        ])
    func rejections(text: String, reason: EntryRejection) {
        #expect(QueueEntryParser.parse(text) == .failure(reason))
        #expect(Self.parse(bytes: Array(text.utf8)) == .failure(reason))
    }

    @Test("timestamps of 1 to 16 digits are accepted, 17 or more are refused", arguments: 1...20)
    func timestampDigitCount(digits: Int) {
        let time = String(repeating: "7", count: digits)
        let result = QueueEntryParser.parse("1.2.3.4 \(time)")
        if digits <= QueueEntryParser.maximumTimestampDigits {
            #expect(result == .success(QueueEntry(address: .v4(0x0102_0304), eventTimeMilliseconds: Int64(time))))
        } else {
            #expect(result == .failure(.badTimestamp))
        }
    }

    @Test("length limit: 256 bytes are examined, 257 are refused unread")
    func lengthBoundaries() {
        #expect(QueueEntryParser.maximumLength == 256)
        #expect(QueueEntryParser.parse(String(repeating: "x", count: 256)) == .failure(.notAnAddress))
        #expect(QueueEntryParser.parse(String(repeating: "x", count: 257)) == .failure(.tooLong))
        #expect(QueueEntryParser.parse(String(repeating: "1", count: 257)) == .failure(.tooLong))
        // Too long wins over every later check, control characters included.
        #expect(QueueEntryParser.parse(String(repeating: "\n", count: 257)) == .failure(.tooLong))
        #expect(QueueEntryParser.parse(String(repeating: "\n", count: 256)) == .failure(.controlCharacter))
        #expect(QueueEntryParser.parse(String(repeating: "x", count: 10_000)) == .failure(.tooLong))
        // A 256-byte entry with a valid address is judged on its timestamp.
        let padded = "1.2.3.4 " + String(repeating: "1", count: 248)
        #expect(padded.utf8.count == 256)
        #expect(QueueEntryParser.parse(padded) == .failure(.badTimestamp))
    }

    @Test("a zero-length buffer without a base address is empty")
    func nilBuffer() {
        #expect(QueueEntryParser.parse(UnsafeRawBufferPointer(start: nil, count: 0)) == .failure(.empty))
    }

    @Test("every byte value after a one-digit timestamp is classified", arguments: 0...255)
    func everyByteValue(byte: Int) {
        let byte = UInt8(byte)
        let result = Self.parse(bytes: Array("1.2.3.4 1".utf8) + [byte])
        switch byte {
        case 0x00..<0x20, 0x7F:
            #expect(result == .failure(.controlCharacter))
        case 0x80...:
            #expect(result == .failure(.notAnAddress))
        case 0x30...0x39:
            #expect(result == .success(QueueEntry(address: .v4(0x0102_0304), eventTimeMilliseconds: 10 + Int64(byte - 0x30))))
        default:
            #expect(result == .failure(.badTimestamp))
        }
    }

    @Test("every byte value in place of the address's first byte is classified", arguments: 0...255)
    func everyLeadingByte(byte: Int) {
        let byte = UInt8(byte)
        let result = Self.parse(bytes: [byte] + Array(".2.3.4 1".utf8))
        switch byte {
        case 0x00..<0x20, 0x7F:
            #expect(result == .failure(.controlCharacter))
        case 0x30...0x39:
            let expected = IPAddress.v4(UInt32(byte - 0x30) << 24 | 0x0002_0304)
            #expect(result == .success(QueueEntry(address: expected, eventTimeMilliseconds: 1)))
        default:
            #expect(result == .failure(.notAnAddress))
        }
    }

    @Test("String and raw-byte parsing agree on random entries")
    func stringAndBytesAgree() {
        var random = SplitMix64(seed: 61)
        let alphabet = Array("0123456789abcdefABCDEF.: /%[]-\t\u{7F}é".utf8)
        for _ in 0..<2000 {
            let length = Int.random(in: 0...50, using: &random)
            let bytes = (0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &random)] }
            let fromBytes = Self.parse(bytes: bytes)
            if let text = String(validating: bytes, as: UTF8.self) {
                #expect(QueueEntryParser.parse(text) == fromBytes)
            }
        }
    }

    @Test("valid random entries parse back to the address and time they were written from")
    func randomValidEntries() {
        SplitMix64.forEachRandomAddress(seed: 67, count: 2000) { address, random in
            let time: Int64? = Bool.random(using: &random) ? Int64.random(in: 0...9_999_999_999_999_999, using: &random) : nil
            let text = address.description + (time.map { " \($0)" } ?? "")
            #expect(QueueEntryParser.parse(text) == .success(QueueEntry(address: address, eventTimeMilliseconds: time)))
        }
    }

    @Test("rejection reasons have stable snake_case names")
    func rejectionNames() {
        #expect(EntryRejection.allCases.map(\.rawValue) == [
            "empty", "too_long", "control_character", "not_an_address", "bad_timestamp", "future",
        ])
        for rejection in EntryRejection.allCases {
            #expect(EntryRejection(rawValue: rejection.rawValue) == rejection)
        }
    }
}
