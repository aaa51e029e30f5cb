/// A small deterministic generator, so the choices a fuzz target derives from an input are the same on every
/// run of that input (a reproducer replays exactly).
public struct SplitMix64 {
    /// The generator's state; each draw advances it by a fixed odd constant.
    private var state: UInt64

    /// Creates a generator whose draws are a function of `seed` alone.
    public init(seed: UInt64) { state = seed }

    /// Creates a generator seeded from the bytes of `input` (FNV-1a), so equal inputs make equal choices.
    public init(seeding input: [UInt8]) {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in input { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        self.init(seed: hash)
    }

    /// The next 64 pseudo-random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in `0..<bound` (slightly biased, which does not matter for choosing cut points or settings).
    public mutating func int(below bound: Int) -> Int {
        bound <= 0 ? 0 : Int(next() % UInt64(bound))
    }
}
