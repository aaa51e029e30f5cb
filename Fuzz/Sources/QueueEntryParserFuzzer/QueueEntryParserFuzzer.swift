import Detection
import FuzzSupport

/// libFuzzer's entry point: checks the queue-entry and address parsers' invariants on one input.
///
/// The input is one queue entry as the web tier would `LPUSH` it. A broken invariant stops the process with
/// `fatalError`, which libFuzzer reports as a crash and saves the input as a reproducer. Always returns 0 otherwise.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    QueueEntryFuzzing.check(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

/// The checks, grouped so the entry point stays a one-liner.
///
/// Queue entries are the one input an attacker fully controls (anyone who can reach the web tier picks what
/// lands in the queue), so the parser is checked against an independent model of the documented format, and
/// every accepted entry is followed to the Redis keys the worker would build from it.
enum QueueEntryFuzzing {
    /// A fixed worker clock (Unix milliseconds, late 2025), so a crash reproduces whatever the date.
    static let now: Int64 = 1_764_000_000_123

    /// Runs every check on `bytes`.
    static func check(_ bytes: UnsafeRawBufferPointer) {
        let input = Array(bytes)
        var random = SplitMix64(seeding: input)
        let result = QueueEntryParser.parse(bytes)
        let expected = model(input)
        guard result == expected else {
            fatalError("parse(\(escaped(input))) is \(result), the documented format says \(expected)")
        }
        guard QueueEntryParser.parse(String(decoding: input, as: UTF8.self)) == result || !isValidUTF8(input) else {
            fatalError("parse(String) and parse(bytes) disagree on \(escaped(input))")
        }

        // The whole input as a bare address, and as CIDR text, as configuration and the blocklist tool read them.
        AddressChecks.check(input)
        AddressChecks.checkNetwork(input)

        switch result {
        case .failure(let reason):
            guard EntryRejection(rawValue: reason.rawValue) == reason, reason != .future else {
                fatalError("rejection \(reason) is not one the parser may give")
            }
        case .success(let entry):
            // The daemon's defaults, then a rule with prefixes, window and mode drawn from the input.
            checkKeys(entry, rule: DetectionRule(), keys: KeySchema(), now: now, input)
            let rule = DetectionRule(
                mode: random.int(below: 2) == 0 ? .fixed : .rolling,
                windowSeconds: [1, 60, 3600, 86_400 * 400][random.int(below: 4)],
                // Out-of-range prefixes must be clamped, never trap.
                ipv4Prefix: random.int(below: 37) - 2, ipv6Prefix: random.int(below: 133) - 2)
            // A clock near the entry's own time, so timed entries are counted rather than refused as stale.
            let nearby = (entry.eventTimeMilliseconds ?? now) + Int64(random.int(below: 20_000)) - 5_000
            checkKeys(entry, rule: rule, keys: KeySchema(prefix: "ipwatcher:demo:"), now: nearby, input)
        }
    }

    /// The documented queue-entry format, written independently of the parser: what `input` must parse to.
    ///
    /// Checks in the documented order: empty, too long, control character, non-ASCII, address (before the first
    /// space), then exactly 1–16 ASCII digits after that space.
    static func model(_ input: [UInt8]) -> Result<QueueEntry, EntryRejection> {
        if input.isEmpty { return .failure(.empty) }
        if input.count > 256 { return .failure(.tooLong) }
        if input.contains(where: { $0 < 0x20 || $0 == 0x7F }) { return .failure(.controlCharacter) }
        if input.contains(where: { $0 >= 0x80 }) { return .failure(.notAnAddress) }
        let space = input.firstIndex(of: 0x20)
        guard let address = AddressChecks.reference(Array(input[..<(space ?? input.count)])) else {
            return .failure(.notAnAddress)
        }
        guard let space else { return .success(QueueEntry(address: address, eventTimeMilliseconds: nil)) }
        let digits = input[(space + 1)...]
        guard (1...16).contains(digits.count), digits.allSatisfy({ (0x30...0x39).contains($0) }),
            let time = Int64(String(decoding: digits, as: UTF8.self))
        else { return .failure(.badTimestamp) }
        return .success(QueueEntry(address: address, eventTimeMilliseconds: time))
    }

    /// Follows an accepted entry through the aggregator to its unit's name and Redis keys, checking each step.
    static func checkKeys(_ entry: QueueEntry, rule: DetectionRule, keys: KeySchema, now: Int64, _ input: [UInt8]) {
        let unit = rule.unit(for: entry.address)
        let name = unit.name
        let context = "entry \(escaped(input)), unit \(name), rule \(rule)"
        UnitChecks.check(unit, name: name, covering: entry.address, context)

        var aggregator = BatchAggregator(
            rule: rule, clock: EventClock(windowMilliseconds: Int64(rule.windowSeconds) * 1000))
        let outcome = aggregator.add(entry, now: now)
        let window = rule.windowMilliseconds
        let expected: EntryOutcome
        if rule.isAllowlisted(entry.address) {
            expected = .allowlisted
        } else if let time = entry.eventTimeMilliseconds, time < now - window {
            expected = .stale
        } else if let time = entry.eventTimeMilliseconds, time > now + 5000 {
            expected = .future
        } else {
            expected = .counted
        }
        guard outcome == expected else { fatalError("\(context): outcome \(outcome), expected \(expected)") }
        guard outcome == .counted else {
            guard aggregator.isEmpty else { fatalError("\(context): a skipped entry was counted") }
            return
        }
        guard aggregator.groups.count == 1, let group = aggregator.groups.first, group.count == 1, group.unit == unit
        else { fatalError("\(context): one counted entry did not make one group of its unit") }
        let time = entry.eventTimeMilliseconds ?? now
        // Floor division, written out here rather than taken from FixedWindow, which is what is being checked.
        let floorIndex = time >= 0 ? time / window : -((-time + window - 1) / window)
        let windowIndex = rule.mode == .rolling ? 0 : floorIndex
        guard group.windowIndex == windowIndex else {
            fatalError("\(context): window \(group.windowIndex), expected \(windowIndex)")
        }

        // The keys the worker sends: each must be inside the prefix and end in the unit's canonical name.
        let fixedKey = keys.fixedCounterKey(unitName: name, windowSeconds: rule.windowSeconds, windowIndex: windowIndex)
        let fixedPrefix = keys.prefix + "fixed:\(rule.windowSeconds):\(windowIndex):"
        let builtPrefix = keys.fixedCounterKeyPrefix(windowSeconds: rule.windowSeconds, windowIndex: windowIndex)
        guard fixedKey == fixedPrefix + name, builtPrefix == fixedPrefix else {
            fatalError("\(context): counter key \(fixedKey.debugDescription) is not \(fixedPrefix)\(name)")
        }
        let rollingKey = keys.rollingKey(unitName: name, windowSeconds: rule.windowSeconds)
        let rollingPrefix = keys.prefix + "rolling:\(rule.windowSeconds):"
        guard rollingKey == rollingPrefix + name, keys.rollingKeyPrefix(windowSeconds: rule.windowSeconds) + name == rollingKey
        else {
            fatalError("\(context): rolling key \(rollingKey.debugDescription)")
        }
    }

    /// Whether `bytes` is well-formed UTF-8, so that a String holds exactly these bytes.
    static func isValidUTF8(_ bytes: [UInt8]) -> Bool {
        Array(String(decoding: bytes, as: UTF8.self).utf8) == bytes
    }
}

/// Checks on a detection unit's name, which becomes part of Redis keys and a blocklist member.
enum UnitChecks {
    /// The bytes a canonical name may hold: lower-case hex digits, '.', ':' and '/'.
    static let alphabet = Set("0123456789abcdef.:/".utf8)

    /// Stops unless `name` is canonical, names `unit` and nothing else, and `unit` covers `address`.
    static func check(_ unit: DetectionUnit, name: String, covering address: IPAddress, _ context: String) {
        let nameBytes = Array(name.utf8)
        guard !nameBytes.isEmpty, nameBytes.count <= DetectionUnit.maximumNameLength,
            nameBytes.allSatisfy(alphabet.contains)
        else {
            // A space, '*', '{' or any other byte here could split a command or reach another key.
            fatalError("\(context): unit name \(name.debugDescription) is not canonical address text")
        }
        guard let reparsed = DetectionUnit.parse(name: name), reparsed == unit, reparsed.name == name else {
            fatalError("\(context): unit name \(name) does not parse back to its unit")
        }
        guard unit.network.contains(address), unit.network.prefixLength <= unit.network.address.bitWidth else {
            fatalError("\(context): unit \(name) does not contain its address")
        }
        guard unit.withName({ Array($0) }) == nameBytes, unit.description == name else {
            fatalError("\(context): withName or description differs from name")
        }
        var buffer = [UInt8](repeating: 0, count: DetectionUnit.maximumNameLength)
        let written = buffer.withUnsafeMutableBytes { unit.write(into: $0) }
        let refused = buffer.withUnsafeMutableBytes { unit.write(into: UnsafeMutableRawBufferPointer(rebasing: $0.dropLast())) }
        guard written == nameBytes.count, Array(buffer.prefix(nameBytes.count)) == nameBytes, refused == nil else {
            fatalError("\(context): write(into:) differs from name")
        }
    }
}

/// Renders bytes with unprintable bytes escaped, cut after 120 bytes, for failure messages.
func escaped(_ bytes: [UInt8]) -> String {
    var text = ""
    for byte in bytes.prefix(120) {
        if byte >= 0x20, byte < 0x7F, byte != 0x5C {
            text.unicodeScalars.append(Unicode.Scalar(byte))
        } else {
            let hex = String(byte, radix: 16)
            text += "\\x" + (hex.count == 1 ? "0" + hex : hex)
        }
    }
    return bytes.count > 120 ? text + "… (\(bytes.count) bytes)" : text
}
