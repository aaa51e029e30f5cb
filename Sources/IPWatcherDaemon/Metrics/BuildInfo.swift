/// The release and commit a worker binary was built from, exported as `ipwatcher_build_info{version,commit} 1`.
///
/// The daemon library cannot see what the executable's build plugin recorded, so `ipwatcher run` hands it in;
/// a worker started without it (tests, benchmarks, the demo) reports ``unknown``.
public struct BuildInfo: Sendable, Equatable {
    /// The release number, as `ipwatcher --version` prints it (`0.1.0`).
    public var version: String
    /// The commit, as `ipwatcher --version` prints it (7 hex digits), or `unknown` for a build outside a checkout.
    public var commit: String

    /// Creates build information.
    public init(version: String, commit: String) {
        self.version = version
        self.commit = commit
    }

    /// What a worker reports when nobody said what it was built from.
    public static let unknown = BuildInfo(version: "unknown", commit: "unknown")
}
