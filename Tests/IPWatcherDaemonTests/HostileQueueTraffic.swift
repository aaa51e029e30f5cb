import Detection
import Traffic

/// A seeded stream of queue entries: random byte strings that no accepted entry form can hold, mixed with valid
/// addresses whose units are known by construction, each with what the worker must do with it.
///
/// Every random string of 1…256 bytes carries at least one byte outside the bytes a valid entry can contain
/// (hex digits, `.`, `:` and the one space before a time), so it is refused whatever the rest holds; longer ones
/// are refused for their length and the empty one for being empty. The expected reason is worked out here from
/// the documented order of checks — empty, too long, control character, non-ASCII, address, time — not by the
/// worker's parser. Unit names are built by hand in canonical form (IPv4 text, `2001:db8:<a>:<b>::/64`), so the
/// counters a run leaves in Redis can be checked against them.
struct HostileQueueTraffic {
    /// What the worker must do with one entry.
    enum Expectation: Hashable {
        /// Counted against this unit.
        case counted(unit: String)
        /// Refused for this reason.
        case rejected(EntryRejection)
    }

    /// One entry and its fate.
    struct Entry {
        let bytes: [UInt8]
        let expectation: Expectation
    }

    /// The bytes a valid entry may contain.
    static let entryAlphabet: [UInt8] = Array("0123456789abcdefABCDEF.: ".utf8)
    /// Printable bytes no valid entry contains: what a fuzzed address is most likely to hold instead.
    static let printableForbidden: [UInt8] = Array("ghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ%[]/-+,_@#!?*=~'\"\\;<>`^&$()|{}".utf8)
    /// Every byte no valid entry contains.
    static let forbidden: [UInt8] = (0...255).map(UInt8.init).filter { !entryAlphabet.contains($0) }

    /// The longest entry the worker reads at all.
    static let maximumEntryLength = QueueEntryParser.maximumLength

    private var random: SplitMix64
    private var randomLeft: Int
    private var validLeft: Int
    private let now: Int64
    private let ipv4Units: [String]
    private let ipv6Networks: [(a: Int, b: Int)]

    /// `randomCount` random strings and `validCount` valid entries in a seeded random order; valid entries with a
    /// time carry `nowMilliseconds`.
    init(seed: UInt64, randomCount: Int, validCount: Int, nowMilliseconds: Int64) {
        var random = SplitMix64(seed: seed)
        randomLeft = randomCount
        validLeft = validCount
        now = nowMilliseconds
        // 200 IPv4 units in the documentation ranges and 150 IPv6 /64s in 2001:db8::/32.
        var ipv4: Set<String> = []
        let ranges = ["192.0.2.", "198.51.100.", "203.0.113."]
        while ipv4.count < 200 { ipv4.insert(ranges[random.next(below: 3)] + String(1 + random.next(below: 254))) }
        ipv4Units = ipv4.sorted()
        var networks: Set<[Int]> = []
        while networks.count < 150 { networks.insert([1 + random.next(below: 0xFFFF), 1 + random.next(below: 0xFFFF)]) }
        ipv6Networks = networks.sorted { $0.lexicographicallyPrecedes($1) }.map { (a: $0[0], b: $0[1]) }
        self.random = random
    }

    /// The next entry, or nil when all were produced.
    mutating func next() -> Entry? {
        let total = randomLeft + validLeft
        guard total > 0 else { return nil }
        if random.next(below: total) < validLeft {
            validLeft -= 1
            return validEntry()
        }
        randomLeft -= 1
        let bytes = randomString()
        return Entry(bytes: bytes, expectation: .rejected(Self.expectedRejection(of: bytes)))
    }

    // MARK: - Valid entries

    private mutating func validEntry() -> Entry {
        let text: String
        let unit: String
        switch random.next(below: 10) {
        case 0..<5:
            unit = ipv4Units[random.next(below: ipv4Units.count)]
            text = unit
        case 5:
            // IPv4-mapped IPv6 counts as the IPv4 address.
            unit = ipv4Units[random.next(below: ipv4Units.count)]
            text = (random.next(below: 2) == 0 ? "::ffff:" : "::FFFF:") + unit
        default:
            let network = ipv6Networks[random.next(below: ipv6Networks.count)]
            let head = "2001:db8:\(hex(network.a)):\(hex(network.b))"
            unit = head + "::/64"
            let interface: String
            if random.next(below: 2) == 0 {
                interface = (0..<4).map { _ in hex(random.next(below: 0x10000)) }.joined(separator: ":")
            } else {
                interface = ":" + hex(1 + random.next(below: 0xFFFF))
            }
            let address = head + ":" + interface
            text = random.next(below: 4) == 0 ? address.uppercased() : address
        }
        let entry = random.next(below: 10) < 3 ? "\(text) \(now)" : text
        return Entry(bytes: Array(entry.utf8), expectation: .counted(unit: unit))
    }

    private func hex(_ value: Int) -> String { String(value, radix: 16) }

    // MARK: - Random strings

    /// A length in 0…65,536: empty strings, many short ones around address size and the 256-byte entry limit,
    /// some of a few KiB, a few long ones, and some exactly 64 KiB or just under. About 570 bytes on average, so
    /// 100,000 of them are about 57 MB.
    private mutating func randomLength() -> Int {
        switch random.next(below: 10_000) {
        case 0..<200: return 0  // 2 %
        case 200..<210: return 65_536  // 0.1 %
        case 210..<220: return 65_536 - 1 - random.next(below: 64)  // 0.1 %
        case 220..<300: return Self.maximumEntryLength + 1 + random.next(below: 65_536 - Self.maximumEntryLength)  // 0.8 %
        case 300..<800: return Self.maximumEntryLength + 1 + random.next(below: 4096)  // 5 %
        case 800..<1000: return Self.maximumEntryLength - 1 + random.next(below: 3)  // 2 %: 255, 256, 257
        case 1000..<5500: return 1 + random.next(below: 46)  // 45 %: as long as an address
        default: return 1 + random.next(below: Self.maximumEntryLength)  // 45 %
        }
    }

    private mutating func randomString() -> [UInt8] {
        let length = randomLength()
        guard length > 0 else { return [] }
        var bytes: [UInt8]
        let style = random.next(below: 10)
        switch style {
        case 0..<4:
            bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        case 4..<8:
            // Looks like an address: the parser has to look deeper than its first byte.
            bytes = (0..<length).map { _ in Self.entryAlphabet[random.next(below: Self.entryAlphabet.count)] }
        default:
            // A valid entry (repeated to length), so addresses and times with one foreign byte are covered too.
            let valid = validEntry().bytes
            bytes = (0..<length).map { valid[$0 % valid.count] }
        }
        // The byte that makes the string invalid, at a random place; mostly printable, so the control-character
        // check does not decide every short string.
        let pool = style >= 4 && random.next(below: 4) != 0 ? Self.printableForbidden : Self.forbidden
        bytes[random.next(below: length)] = pool[random.next(below: pool.count)]
        return bytes
    }

    /// Why the worker must refuse `bytes`, which hold a byte no valid entry contains (or are empty or too long).
    static func expectedRejection(of bytes: [UInt8]) -> EntryRejection {
        if bytes.isEmpty { return .empty }
        if bytes.count > maximumEntryLength { return .tooLong }
        if bytes.contains(where: { $0 < 0x20 || $0 == 0x7F }) { return .controlCharacter }
        if bytes.contains(where: { $0 >= 0x80 }) { return .notAnAddress }
        let address = Array(bytes.prefix { $0 != UInt8(ascii: " ") })
        // The foreign byte is in the address part, or the address part does not parse: not an address. Otherwise
        // the foreign byte follows the space, in what should be the time.
        if address.count == bytes.count || address.contains(where: { !entryAlphabet.contains($0) }) {
            return .notAnAddress
        }
        let parses = address.withUnsafeBytes { IPAddress.parse($0) != nil }
        return parses ? .badTimestamp : .notAnAddress
    }
}
