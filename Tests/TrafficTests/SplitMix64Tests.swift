import Testing
import Traffic

@Suite("SplitMix64")
struct SplitMix64Tests {
    @Test("the same seed gives the same sequence; ranges are respected")
    func deterministic() {
        var first = SplitMix64(seed: 42)
        var second = SplitMix64(seed: 42)
        for _ in 0..<1000 { #expect(first.next() == second.next()) }
        var random = SplitMix64(seed: 7)
        for _ in 0..<10_000 {
            #expect((3...9).contains(random.next(in: 3...9)))
            #expect((0..<5).contains(random.next(below: 5)))
        }
        #expect(random.next(in: 4...4) == 4)
    }
}
