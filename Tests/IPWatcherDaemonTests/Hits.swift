/// A test address repeated `count` times, as a producer pushing one entry per request would.
func hits(_ address: String, _ count: Int) -> [String] {
    Array(repeating: address, count: count)
}
