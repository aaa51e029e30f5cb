import Detection
import Testing

/// Reading the address and time of access-log lines, and telling them from queue entries.
@Suite("Common and combined access-log lines")
struct CommonLogLineTests {
    private func parse(_ line: String) -> (address: IPAddress, milliseconds: Int64)? {
        var line = line
        return line.withUTF8 { CommonLogLine.parse(UnsafeRawBufferPointer($0)) }
    }

    @Test("Apache's documented example: its address, and its time with the zone applied")
    func apacheExample() throws {
        let parsed = try #require(
            parse(#"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326"#))
        #expect(parsed.address == IPAddress("127.0.0.1"))
        // 2000-10-10 20:55:36 UTC.
        #expect(parsed.milliseconds == 971_211_336_000)
    }

    @Test("IPv6 clients, the combined format's extra fields, and a leap day")
    func ipv6AndLeapDay() throws {
        let parsed = try #require(
            parse(#"2001:db8::7 - - [29/Feb/2024:00:00:00 +0000] "GET / HTTP/2.0" 200 5 "https://x/" "Mozilla [5.0]""#))
        #expect(parsed.address == IPAddress("2001:db8::7"))
        #expect(parsed.milliseconds == 1_709_164_800_000)
        #expect(parse("198.51.100.1 - - [31/Dec/1969:23:59:59 +0000] \"GET /\"")?.milliseconds == -1000)
    }

    @Test(
        "lines without an address first or a valid bracketed time are refused",
        arguments: [
            #"example.com - - [10/Oct/2000:13:55:36 -0700] "GET /""#,
            #"- - - [10/Oct/2000:13:55:36 -0700] "GET /""#,
            #"10.0.0.1 - - [10/Oct/2000:13:55:36] "GET /""#,
            #"10.0.0.1 - - [30/Feb/2000:13:55:36 +0000] "GET /""#,
            #"10.0.0.1 - - [10/oct/2000:13:55:36 +0000] "GET /""#,
            #"10.0.0.1 - - [10/Oct/2000:24:00:00 +0000] "GET /""#,
            #"10.0.0.1 - - [10/Oct/2000:13:55:36 *0000] "GET /""#,
            #"10.0.0.1 - - 10/Oct/2000:13:55:36 +0000 "GET /""#,
            "10.0.0.1 1718000000123",
            "10.0.0.1",
            "",
        ])
    func refused(line: String) {
        #expect(parse(line) == nil)
    }

}
