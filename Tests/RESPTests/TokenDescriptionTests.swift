import NIOCore
import Testing

@testable import RESP

@Suite struct TokenDescriptionTests {
    @Test(arguments: [
        ("+OK\r\n", #""OK""#),
        ("$5\r\nhello\r\n", #""hello""#),
        ("$4\r\na\r\nb\r\n", #""a\r\nb""#),
        ("=15\r\ntxt:Some string\r\n", #"txt:"Some string""#),
        ("-ERR unknown\r\n", "(error) ERR unknown"),
        ("!21\r\nSYNTAX invalid syntax\r\n", "(error) SYNTAX invalid syntax"),
        (":-5\r\n", "(integer) -5"),
        (",1.5\r\n", "(double) 1.5"),
        ("#t\r\n", "(boolean) true"),
        ("(123\r\n", "(big number) 123"),
        ("_\r\n", "(nil)"),
        ("$-1\r\n", "(nil)"),
        ("*-1\r\n", "(nil)"),
        ("*2\r\n:1\r\n:2\r\n", "[(integer) 1, (integer) 2]"),
        ("*0\r\n", "[]"),
        ("~1\r\n+a\r\n", #"set{"a"}"#),
        (">2\r\n+a\r\n_\r\n", #"push["a", (nil)]"#),
        ("%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n", #"{"first": (integer) 1, "second": (integer) 2}"#),
        ("|1\r\n+ttl\r\n:5\r\n+v\r\n", #"|"ttl": (integer) 5| "v""#),
    ])
    func descriptionRendersTheReplyInRedisCliStyle(input: String, expected: String) throws {
        #expect(try token(input).description == expected)
    }

    @Test func longArrayDescriptionShowsSixteenElementsAndTheCount() throws {
        let reply = try token("*20\r\n" + String(repeating: ":7\r\n", count: 20))
        let shown = Array(repeating: "(integer) 7", count: 16).joined(separator: ", ")
        #expect(reply.description == "[" + shown + ", … (20 elements)]")
    }

    @Test func longPayloadDescriptionIsCutAfterTwoHundredBytesAndGivesTheLength() throws {
        let reply = try token("$300\r\n" + String(repeating: "x", count: 300) + "\r\n")
        #expect(reply.description == "\"" + String(repeating: "x", count: 200) + "\"… (300 bytes)")
    }
}
