import Configuration

/// Reads raw values from the layered providers and turns them into typed, range-checked values, throwing a
/// ``ConfigurationError`` that shows the raw value.
///
/// Every key is read as text, never as swift-configuration's `int`/`bool`/`double`: its typed getters fall back
/// to the default when a value does not convert, which would let `threshold: abc` pass silently, and its
/// conversion errors do not say what the value was.
struct ConfigurationValueReader {
    /// The providers in precedence order: overrides, environment, file.
    let reader: ConfigReader
    /// The keys the YAML file sets, to tell a value of the wrong shape from a missing one.
    let fileKeys: Set<String>

    /// The raw text of a single-value key from the highest-precedence source that sets it; nil if none does.
    func text(_ key: String) throws(ConfigurationError) -> String? {
        let isSecret = IPWatcherConfiguration.schemaByName[key]?.isSecret ?? false
        if let value = reader.string(forKey: ConfigKey(key), isSecret: isSecret) { return value }
        // Overrides and the environment always hold text, so only a file value of another shape gets here;
        // ConfigurationFileCheck reports those first, and this keeps the guarantee if that ever changes.
        if fileKeys.contains(key) {
            throw ConfigurationError(key: key, message: "needs a single value, not a list")
        }
        return nil
    }

    /// The entries of a list key, trimmed and without empty ones; nil if no source sets it.
    ///
    /// The file may give a YAML list or one comma-separated string; the environment and overrides give
    /// comma-separated text (`IPWATCHER_DETECTION_ALLOWLIST=10.0.0.0/8,::1/128`).
    func list(_ key: String) -> [String]? {
        if let values = reader.stringArray(forKey: ConfigKey(key)) { return Self.cleanedList(values) }
        // A plain string in the file does not convert to a list; read it as comma-separated text instead.
        if let text = reader.string(forKey: ConfigKey(key)) { return Self.splitList(text) }
        return nil
    }

    /// A string value as given; `defaultValue` if unset.
    func string(_ key: String, default defaultValue: String) throws(ConfigurationError) -> String {
        try text(key) ?? defaultValue
    }

    /// A string value where empty means "none"; `defaultValue` if unset.
    func optionalString(_ key: String, default defaultValue: String?) throws(ConfigurationError) -> String? {
        guard let value = try text(key) else { return defaultValue }
        return value.isEmpty ? nil : value
    }

    /// A non-empty string value; `defaultValue` if unset.
    func nonEmptyString(_ key: String, default defaultValue: String) throws(ConfigurationError) -> String {
        let value = try string(key, default: defaultValue)
        guard !value.isEmpty else { throw ConfigurationError.invalid(key, value, "is empty; this key needs a value") }
        return value
    }

    /// A decimal integer of at least `minimum` and at most `maximum`; `defaultValue` if unset.
    ///
    /// The maximum is required: every number is multiplied or added to somewhere, and a bound chosen per key is
    /// what keeps those sums in range.
    func integer(
        _ key: String, default defaultValue: Int, minimum: Int, maximum: Int
    ) throws(ConfigurationError) -> Int {
        guard let raw = try text(key) else { return defaultValue }
        let expectation = "is not an integer from \(minimum) to \(maximum)"
        guard let value = Int(Self.trimmed(raw)), value >= minimum, value <= maximum else {
            throw ConfigurationError.invalid(key, raw, expectation)
        }
        return value
    }

    /// A duration in decimal seconds (`5`, `0.25`) within `minimum...maximum`, or above zero when `minimum` is
    /// nil; `defaultValue` if unset. Stored to the nanosecond, so `0.1` is exactly 100 ms.
    func seconds(
        _ key: String, default defaultValue: Duration, minimum: Double?, maximum: Double
    ) throws(ConfigurationError) -> Duration {
        guard let raw = try text(key) else { return defaultValue }
        let expectation =
            minimum.map { "is not a number of seconds from \(Self.decimal($0)) to \(Self.decimal(maximum))" }
            ?? "is not a number of seconds > 0 (at most \(Self.decimal(maximum)))"
        guard let value = Self.decimalNumber(raw), value <= maximum, value >= (minimum ?? 0) else {
            throw ConfigurationError.invalid(key, raw, expectation)
        }
        let nanoseconds = Int64((value * 1e9).rounded())
        guard nanoseconds > 0 else { throw ConfigurationError.invalid(key, raw, expectation) }
        return .nanoseconds(nanoseconds)
    }

    /// A decimal number (`2`, `0.1`) from `minimum` (excluded when `minimumIncluded` is false) to `maximum`;
    /// `defaultValue` if unset. Digits with at most one point: no exponents, `inf` or `nan`.
    func fraction(
        _ key: String, default defaultValue: Double, minimum: Double, maximum: Double, minimumIncluded: Bool = true
    ) throws(ConfigurationError) -> Double {
        guard let raw = try text(key) else { return defaultValue }
        let lower = minimumIncluded ? "from \(Self.decimal(minimum))" : "above \(Self.decimal(minimum))"
        guard let value = Self.decimalNumber(raw), value <= maximum,
            minimumIncluded ? value >= minimum : value > minimum
        else {
            throw ConfigurationError.invalid(key, raw, "is not a decimal number \(lower) to \(Self.decimal(maximum))")
        }
        return value
    }

    /// `true`/`false`, also `yes`/`no`, `on`/`off` and `1`/`0` as YAML and shells write them; `defaultValue`
    /// if unset.
    func bool(_ key: String, default defaultValue: Bool) throws(ConfigurationError) -> Bool {
        guard let raw = try text(key) else { return defaultValue }
        switch Self.trimmed(raw).lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default: throw ConfigurationError.invalid(key, raw, "is not true or false")
        }
    }

    /// One of `choices`, by raw value compared without regard to case; `defaultValue` if unset.
    func choice<Choice: RawRepresentable<String>>(
        _ key: String, default defaultValue: Choice, among choices: [Choice]
    ) throws(ConfigurationError) -> Choice {
        guard let raw = try text(key) else { return defaultValue }
        let wanted = Self.trimmed(raw).lowercased()
        guard let value = choices.first(where: { $0.rawValue == wanted }) else {
            let names = choices.map(\.rawValue).joined(separator: ", ")
            throw ConfigurationError.invalid(key, raw, "is not one of \(names)")
        }
        return value
    }

    /// One of the cases of `Choice`, by raw value compared without regard to case; `defaultValue` if unset.
    func choice<Choice: RawRepresentable<String> & CaseIterable>(
        _ key: String, default defaultValue: Choice
    ) throws(ConfigurationError) -> Choice {
        try choice(key, default: defaultValue, among: Array(Choice.allCases))
    }

    /// The value of `raw`, trimmed, when it is digits with at most one point; nil otherwise. `Double(_:)` alone
    /// would also take "inf", "nan", "1e3" and hex.
    static func decimalNumber(_ raw: String) -> Double? {
        let text = trimmed(raw)
        let isDecimal =
            !text.isEmpty && text.allSatisfy { $0 == "." || ($0.isASCII && $0.isWholeNumber) }
            && text.filter { $0 == "." }.count <= 1 && text != "."
        return isDecimal ? Double(text) : nil
    }

    /// Splits comma-separated text into trimmed, non-empty entries.
    static func splitList(_ text: String) -> [String] {
        cleanedList(text.split(separator: ",", omittingEmptySubsequences: false).map(String.init))
    }

    /// Trims entries and drops empty ones, so a trailing comma or blank entry is harmless.
    static func cleanedList(_ values: [String]) -> [String] {
        values.map(trimmed).filter { !$0.isEmpty }
    }

    /// `text` without leading and trailing white space; environment values often carry a stray space.
    static func trimmed(_ text: String) -> String {
        String(text.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }

    /// `0.01`, `60`: a number as a person writes it.
    static func decimal(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
