import NIOCore
import RedisClient
import Testing

/// A collection that is not contiguous, so ``RedisHashSlot`` takes its generic path.
private struct ScatteredBytes: Collection {
    let bytes: [UInt8]
    var startIndex: Int { 0 }
    var endIndex: Int { bytes.count }
    func index(after index: Int) -> Int { index + 1 }
    subscript(position: Int) -> UInt8 { bytes[position] }
}

/// CRC16/XMODEM one bit at a time, straight from the definition, to check the table-driven one against.
private func bitwiseCRC16(_ bytes: [UInt8]) -> UInt16 {
    var crc: UInt16 = 0
    for byte in bytes {
        crc ^= UInt16(byte) << 8
        for _ in 0..<8 {
            crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1
        }
    }
    return crc
}

private func bytes(hex: String) -> [UInt8] {
    let digits = Array(hex.utf8)
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0...$0 + 1], as: UTF8.self), radix: 16)! }
}

/// The slot of `bytes` computed through every entry point, which must agree.
private func slotsThroughEveryEntryPoint(_ bytes: [UInt8]) -> [UInt16] {
    var slots = [
        RedisHashSlot(key: bytes).rawValue,
        RedisHashSlot(key: bytes[...]).rawValue,
        RedisHashSlot(key: ByteBuffer(bytes: bytes)).rawValue,
        RedisHashSlot(key: ScatteredBytes(bytes: bytes)).rawValue,
    ]
    // A buffer whose readable bytes start past its storage's start.
    var offset = ByteBuffer(bytes: [0x7B, 0x7D, 0x41] + bytes)
    offset.moveReaderIndex(forwardBy: 3)
    slots.append(RedisHashSlot(key: offset).rawValue)
    if let text = String(validating: bytes, as: UTF8.self) {
        slots.append(RedisHashSlot(key: text).rawValue)
        slots.append(RedisHashSlot(key: text.utf8).rawValue)
        slots.append(RedisHashSlot(key: Substring(text).utf8).rawValue)
    }
    return slots
}

@Suite struct RedisHashSlotTests {
    @Test func crc16CheckValueOf123456789Is0x31C3() {
        #expect(RedisHashSlot.crc16(Array("123456789".utf8)) == 0x31C3)
        #expect(RedisHashSlot.crc16("123456789".utf8) == 0x31C3)
        #expect(RedisHashSlot.crc16([UInt8]()) == 0)
        #expect(RedisHashSlot(key: "123456789").rawValue == 0x31C3 % 16384)
    }

    @Test func tableDrivenCRCMatchesTheBitwiseDefinition() {
        var generator = SystemRandomNumberGenerator()
        for byte in UInt8.min...UInt8.max {
            #expect(RedisHashSlot.crc16([byte]) == bitwiseCRC16([byte]), "byte \(byte)")
        }
        for length in 0..<200 {
            let bytes = (0..<length).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
            #expect(RedisHashSlot.crc16(bytes) == bitwiseCRC16(bytes), "bytes \(bytes)")
        }
    }

    // Slots checked with `redis-cli CLUSTER KEYSLOT` on redis-server 7.0.15.
    @Test(arguments: [
        ("foo", 12182),
        ("bar", 5061),
        ("", 0),
        ("123456789", 12739),
        ("{user1000}.following", 3443),
        ("{user1000}.followers", 3443),
        ("user1000", 3443),
        ("foo{}{bar}", 8363),
        ("foo{{bar}}zap", 4015),
        ("{bar", 4015),
        ("foo{bar}{zap}", 5061),
        ("{a}b", 15495),
        ("k2136", 100),
    ] as [(String, Int)])
    func knownSlots(key: String, slot: Int) {
        for computed in slotsThroughEveryEntryPoint(Array(key.utf8)) {
            #expect(Int(computed) == slot)
        }
    }

    @Test(arguments: [
        ("foo", "foo"),
        ("", ""),
        ("{user1000}.following", "user1000"),
        ("foo{}{bar}", "foo{}{bar}"),
        ("foo{{bar}}zap", "{bar"),
        ("foo{bar}{zap}", "bar"),
        ("foo{bar", "foo{bar"),
        ("foo}bar{", "foo}bar{"),
        ("}{x}", "x"),
        ("{}", "{}"),
        ("{", "{"),
        ("}", "}"),
        ("{{}}", "{"),
        ("a{b}", "b"),
        ("{é}x", "é"),
    ])
    func hashedPartIsTheFirstNonEmptyTagOrTheWholeKey(key: String, hashed: String) {
        let part = RedisHashSlot.hashedPart(of: Array(key.utf8))
        #expect(Array(part) == Array(hashed.utf8))
        #expect(RedisHashSlot(key: key) == RedisHashSlot(key: hashed))
    }

    @Test func keysWithTheSameTagShareASlot() {
        let slot = RedisHashSlot(key: "{ipwatcher:unit}")
        for suffix in ["", ":count", ":window:1700000000", "{other}", "}", "{"] {
            #expect(RedisHashSlot(key: "{ipwatcher:unit}" + suffix) == slot)
            #expect(RedisHashSlot(key: "prefix{ipwatcher:unit}" + suffix) == slot)
        }
        #expect(RedisHashSlot(key: "ipwatcher:unit") == slot)
    }

    @Test func slotsOfThreeHundredKeysMatchRedisClusterKeyslot() {
        #expect(RedisKeySlotSamples.keys.count == 300)
        for sample in RedisKeySlotSamples.keys {
            let key = bytes(hex: sample.hex)
            for computed in slotsThroughEveryEntryPoint(key) {
                #expect(computed == sample.slot, "key \(sample.hex)")
            }
        }
    }

    @Test func everySlotIsBelow16384AndTheSameKeyAlwaysGivesTheSameSlot() {
        var seen = Set<UInt16>()
        for number in 0..<100_000 {
            let slot = RedisHashSlot(key: "key:\(number)")
            #expect(slot.rawValue < 16384)
            seen.insert(slot.rawValue)
        }
        // 100 000 keys spread over 16384 slots leave almost none empty.
        #expect(seen.count > 16_000)
        #expect(RedisHashSlot(key: "key:42") == RedisHashSlot(key: "key:42"))
    }

    @Test func slotNumbersAreCheckedAgainst0Through16383() {
        #expect(RedisHashSlot(rawValue: 0)?.rawValue == 0)
        #expect(RedisHashSlot(rawValue: 16383)?.rawValue == 16383)
        #expect(RedisHashSlot(rawValue: 16384) == nil)
        #expect(RedisHashSlot(rawValue: .max) == nil)
        #expect(RedisHashSlot(16383)?.rawValue == 16383)
        #expect(RedisHashSlot(-1) == nil)
        #expect(RedisHashSlot(Int64(16384)) == nil)
        #expect(RedisHashSlot(UInt8(7))?.description == "7")
        #expect(RedisHashSlot.count == 16384)
        #expect(RedisHashSlot.all == 0...16383)
        #expect(RedisHashSlot(rawValue: 3)! < RedisHashSlot(rawValue: 4)!)
    }
}
