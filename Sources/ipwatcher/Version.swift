/// The version `ipwatcher --version` prints: the release number and the commit the binary was built from.
enum Version {
    /// The release number; raised by hand with each release.
    static let number = "0.1.0"

    /// `0.1.0 (commit 4bd0f10)`, or `0.1.0 (unknown commit)` for a build outside a git checkout.
    ///
    /// The commit is the first 7 hex digits of the one the build recorded (``BuildCommit``), as
    /// `git rev-parse --short=7 HEAD` gives it.
    static var text: String {
        let commit = BuildCommit.hash.map { "commit " + $0.prefix(7) } ?? "unknown commit"
        return "\(number) (\(commit))"
    }
}
