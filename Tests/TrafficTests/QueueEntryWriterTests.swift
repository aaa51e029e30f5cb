import Detection
import IPWatcherWeb
import NIOCore
import RESP
import Testing

@testable import Traffic

@Suite("Queue entries written straight into RESP bulk strings")
struct QueueEntryWriterTests {
    @Test("every address form and time round-trips through RESP and the worker's entry parser")
    func roundTrip() throws {
        let addresses = [
            "1.2.3.4", "203.0.113.254", "100.127.255.255", "::1", "2001:db8::1",
            "2001:db8:c000:1:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::ffff:192.0.2.1",
        ].compactMap(IPAddress.init)
        #expect(addresses.count == 8)
        let times: [Int64?] = [nil, 0, 7, 1_700_000_000_123, Int64.max, -5]
        var buffer = ByteBuffer()
        var expected: [TrafficEvent] = []
        for address in addresses {
            for time in times {
                let event = TrafficEvent(address: address, timeMilliseconds: time)
                QueueEntryWriter.write(address: event.address, timeMilliseconds: event.timeMilliseconds, to: &buffer)
                expected.append(event)
            }
        }
        var parser = RESPParser()
        for event in expected {
            let token = try #require(try parser.next(from: &buffer))
            let text = try #require(token.string)
            #expect(text == event.entry)
            if let time = event.timeMilliseconds, time < 0 || time > 9_999_999_999_999_999 { continue }
            let parsed = QueueEntryParser.parse(text)
            #expect((try? parsed.get()) == QueueEntry(address: event.address, eventTimeMilliseconds: event.timeMilliseconds))
        }
        #expect(buffer.readableBytes == 0)
    }

    @Test("LPUSH commands built from encoded entries are well-formed RESP arrays")
    func command() throws {
        var entries = ByteBuffer()
        for index in 1...3 { QueueEntryWriter.write(address: .v4(UInt32(index)), timeMilliseconds: nil, to: &entries) }
        var encoder = RESPCommandEncoder()
        encoder.encode("LPUSH", "ips", EncodedEntries(bytes: entries, count: 3))
        #expect(
            String(buffer: encoder.buffer)
                == "*5\r\n$5\r\nLPUSH\r\n$3\r\nips\r\n$7\r\n0.0.0.1\r\n$7\r\n0.0.0.2\r\n$7\r\n0.0.0.3\r\n")
    }
}
