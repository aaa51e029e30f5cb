/// The worker runs its scripts as Redis Functions, and this version's library is not loaded (never installed,
/// installed by another version of ipwatcher, or removed with `FUNCTION FLUSH`).
public struct RedisFunctionsMissingError: Error, Sendable, CustomStringConvertible {
    /// The library that was looked for, such as `ipwatcher_1a2b3c4d`.
    public let libraryName: String
    /// The server's answer to the call of the library's version function.
    public let reply: String

    public var description: String {
        "Redis has no function library \(libraryName) (\(reply)): run `ipwatcher redis install-functions` "
            + "with this version of ipwatcher, or set redis.scripts: eval"
    }
}
