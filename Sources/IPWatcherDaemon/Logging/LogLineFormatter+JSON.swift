import Logging

extension LogLineFormatter {
    /// The names the JSON line gives its own fields; metadata with one of these keys is written as
    /// `metadata_<key>` so it cannot replace them.
    static let jsonReservedKeys: Set<String> = ["time", "level", "label", "message"]

    /// The event as one JSON object: `time` (ISO 8601 UTC), `level`, `label`, `message`, then each metadata
    /// key as a field of its own, sorted.
    ///
    /// Integers and booleans given as metadata stay numbers and booleans, so a shipper can sum or filter them;
    /// arrays and dictionaries become JSON arrays and objects. Every string is escaped by ``JSONObjectWriter``,
    /// so text from Redis can neither end the line nor forge a field.
    public static func jsonLine(
        timestampMilliseconds: Int64, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata
    ) -> String {
        var writer = JSONObjectWriter(capacity: 96 + message.utf8.count + metadata.count * 32)
        writer.add("time", timestamp(timestampMilliseconds))
        writer.add("level", level.rawValue)
        writer.add("label", label)
        writer.add("message", message)
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            writer.addEncoded(jsonReservedKeys.contains(key) ? "metadata_" + key : key, jsonValue(value))
        }
        return writer.json
    }

    /// `value` encoded as JSON.
    static func jsonValue(_ value: Logger.MetadataValue) -> String {
        switch value {
        case .string(let text):
            return JSONObjectWriter.quoted(text)
        case .stringConvertible(let convertible):
            switch convertible {
            case let number as Int: return String(number)
            case let number as Int64: return String(number)
            case let number as Int32: return String(number)
            case let number as UInt: return String(number)
            case let number as UInt64: return String(number)
            case let number as UInt32: return String(number)
            case let flag as Bool: return flag ? "true" : "false"
            case let number as Double where number.isFinite: return String(number)
            default: return JSONObjectWriter.quoted(convertible.description)
            }
        case .array(let elements):
            return JSONObjectWriter.array(elements.map(jsonValue))
        case .dictionary(let fields):
            var writer = JSONObjectWriter()
            for (key, element) in fields.sorted(by: { $0.key < $1.key }) { writer.addEncoded(key, jsonValue(element)) }
            return writer.json
        }
    }
}
