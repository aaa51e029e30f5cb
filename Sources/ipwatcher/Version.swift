/// The version `ipwatcher --version` prints: the release number and the commit the binary was built from.
enum Version {
    /// The release number; raised by hand with each release.
    static let number = "0.1.0"

    /// The first 7 hex digits of the commit the build recorded (``BuildCommit``), as `git rev-parse --short=7 HEAD`
    /// gives it, or `unknown` for a build outside a git checkout; `ipwatcher_build_info`'s `commit` label.
    static var commit: String {
        BuildCommit.hash.map { String($0.prefix(7)) } ?? "unknown"
    }

    /// `0.1.0 (commit 4bd0f10)`, or `0.1.0 (unknown commit)` for a build outside a git checkout.
    static var text: String {
        "\(number) (\(BuildCommit.hash == nil ? "unknown commit" : "commit " + Self.commit))"
    }
}
