/// A set of ``RedisScript``s loaded as one Redis Functions library (Redis ≥ 7.0) and called with `FCALL`.
///
/// The library's name and every function's name end in ``version``, a hash of all the scripts' names and bodies:
/// a worker whose scripts changed looks for names that are not there yet instead of calling an old body, and the
/// libraries of two versions can be loaded side by side while workers of both run. A script's body is wrapped as
/// `function(KEYS, ARGV) … end`, so the same text runs under `EVALSHA` and `FCALL`.
public struct RedisFunctionLibrary: Sendable {
    /// A script and the name it is registered under, before the version is appended.
    public struct Function: Sendable {
        /// Letters, digits and underscores, as Redis requires of function names.
        public let name: String
        /// The script whose body the function runs.
        public let script: RedisScript

        /// Names `script` in the library.
        public init(_ name: String, _ script: RedisScript) {
            self.name = name
            self.script = script
        }
    }

    /// The prefix of the library's and its functions' names, such as `ipwatcher`.
    public let prefix: String
    /// The scripts, in registration order.
    public let functions: [Function]
    /// Eight hex digits of a 64-bit FNV-1a hash over the names and bodies of ``functions``.
    public let version: String

    /// Creates the library; names must be letters, digits and underscores and must not repeat.
    public init(prefix: String, functions: [Function]) {
        precondition(Self.isValidName(prefix), "library prefix \(prefix) must be letters, digits and underscores")
        for function in functions {
            precondition(Self.isValidName(function.name), "function name \(function.name) must be letters, digits and underscores")
        }
        precondition(Set(functions.map(\.name)).count == functions.count, "function names repeat")
        self.prefix = prefix
        self.functions = functions
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for function in functions {
            // A 0 byte between fields: no name and body can run into the next.
            for byte in function.name.utf8 + [0] + function.script.source.utf8 + [0] {
                hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            }
        }
        let hex = String(hash, radix: 16)
        self.version = String((String(repeating: "0", count: max(0, 16 - hex.count)) + hex).prefix(8))
    }

    /// The library's name in `FUNCTION LIST`: the prefix and the version.
    public var libraryName: String { "\(prefix)_\(version)" }

    /// The function that returns ``version``; calling it tells whether this version's library is loaded.
    public var versionFunctionName: String { "\(prefix)_version_\(version)" }

    /// The name `script` is called by with `FCALL`, or nil when it is not in the library.
    public func functionName(of script: RedisScript) -> String? {
        functions.first { $0.script === script }.map { "\(prefix)_\($0.name)_\(version)" }
    }

    /// The library's source, as `FUNCTION LOAD` takes it.
    ///
    /// No function declares `no-writes`, so Redis lets every one write, as it does a script, and runs none on a
    /// read-only replica; only the version function is read-only.
    public var source: String {
        var text = "#!lua name=\(libraryName)\n"
        for function in functions {
            text += "redis.register_function('\(prefix)_\(function.name)_\(version)', function(KEYS, ARGV)\n"
            text += function.script.source
            text += "\nend)\n"
        }
        text += "redis.register_function{function_name='\(versionFunctionName)', "
        text += "callback=function() return '\(version)' end, flags={'no-writes'}}\n"
        return text
    }

    private static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { $0 == UInt8(ascii: "_") || ($0 >= 0x30 && $0 <= 0x39)
            || ($0 >= 0x41 && $0 <= 0x5a) || ($0 >= 0x61 && $0 <= 0x7a) }
    }
}
