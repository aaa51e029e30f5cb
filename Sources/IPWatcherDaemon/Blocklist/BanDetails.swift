/// The fields of a ban details value (`{"rule":"burst","since":…,"offence":2}`), read without Foundation.
///
/// The ban script writes them, so the shape is known; a value someone wrote by hand that does not fit gives
/// nil fields, never an error.
struct BanDetails {
    var rule: String?
    var since: Int64?
    var offence: Int?
    var isManual = false

    init(_ json: String) {
        rule = Self.string("rule", in: json)
        since = Self.number("since", in: json)
        offence = Self.number("offence", in: json).map(Int.init)
        isManual = json.contains(#""manual":true"#)
    }

    /// The text of `"name":"…"` when it holds no escapes (rule names never do).
    private static func string(_ name: String, in json: String) -> String? {
        guard let start = json.range(of: "\"\(name)\":\"") else { return nil }
        let rest = json[start.upperBound...]
        guard let end = rest.firstIndex(of: "\""), !rest[..<end].contains("\\") else { return nil }
        return String(rest[..<end])
    }

    /// The whole number of `"name":123`.
    private static func number(_ name: String, in json: String) -> Int64? {
        guard let start = json.range(of: "\"\(name)\":") else { return nil }
        return Int64(json[start.upperBound...].prefix { $0.isASCII && ($0.isNumber || $0 == "-") })
    }
}
