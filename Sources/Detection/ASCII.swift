/// The ASCII byte values the parsers and formatters compare against, named so the code reads as text.
enum ASCII {
    static let space: UInt8 = 0x20
    static let dot: UInt8 = 0x2E
    static let slash: UInt8 = 0x2F
    static let zero: UInt8 = 0x30
    static let nine: UInt8 = 0x39
    static let colon: UInt8 = 0x3A
    static let upperA: UInt8 = 0x41
    static let upperF: UInt8 = 0x46
    static let upperZ: UInt8 = 0x5A
    static let lowerA: UInt8 = 0x61
    static let lowerF: UInt8 = 0x66
    static let lowerZ: UInt8 = 0x7A
    static let delete: UInt8 = 0x7F

    /// The digit for a nibble value 0–15, lower case as RFC 5952 requires.
    @inline(__always)
    static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? zero &+ nibble : lowerA &+ (nibble &- 10)
    }
}
