import Foundation

/// A directory that dpkg installs into as if it were `/` (`dpkg --root`), holding just what the package relies on
/// from a Debian system: an empty dpkg database, a passwd/group/shadow with only root (and the backups `useradd`
/// keeps), systemd's targets and slices (which `systemd-analyze verify` loads as the unit's dependencies), the
/// directories systemd and deb-systemd-helper keep state in, and `/bin/kill` (the unit's `ExecReload`).
///
/// Maintainer scripts run outside it with `DPKG_ROOT` set (`--force-script-chrootless`): the root has no shell.
/// Removed by ``remove()``.
struct ThrowawayRoot {
    let scratch: TemporaryDirectory
    /// The root directory.
    let url: URL

    /// The database files whose content dpkg itself keeps; ``paths()`` leaves them out.
    static let dpkgDatabase = "var/lib/dpkg"

    init() throws {
        scratch = try TemporaryDirectory("dpkg-root")
        url = scratch.path("root")
        let manager = FileManager.default
        for directory in [
            "etc/systemd/system", "lib/systemd/system", "bin", "usr/sbin", "var/lib/systemd",
            "var/lib/dpkg/info", "var/lib/dpkg/updates", "var/lib/dpkg/triggers",
        ] {
            try manager.createDirectory(at: file(directory), withIntermediateDirectories: true)
        }
        try write("", to: "var/lib/dpkg/status")
        let accounts = [
            "etc/passwd": "root:x:0:0:root:/root:/bin/bash\n",
            "etc/group": "root:x:0:\n",
            "etc/shadow": "root:*:19000:0:99999:7:::\n",
            "etc/gshadow": "root:*::\n",
        ]
        for (path, text) in accounts {
            try write(text, to: path)
            try write(text, to: path + "-")
        }
        for path in ["etc/shadow", "etc/gshadow", "etc/shadow-", "etc/gshadow-"] {
            try manager.setAttributes([.posixPermissions: 0o640], ofItemAtPath: file(path).path)
        }
        let systemUnits = URL(filePath: "/lib/systemd/system")
        for name in try manager.contentsOfDirectory(atPath: systemUnits.path)
        where name.hasSuffix(".target") || name.hasSuffix(".slice") {
            try manager.copyItem(at: systemUnits.appending(path: name), to: file("lib/systemd/system/" + name))
        }
        _ = try scratch.copyExecutable(URL(filePath: "/bin/kill"), to: "root/bin/kill")
    }

    /// The file at absolute target path `path` (a leading `/` is optional).
    func file(_ path: String) -> URL {
        url.appending(path: String(path.drop { $0 == "/" }))
    }

    /// Whether `path` exists in the root, a dangling symbolic link included.
    func exists(_ path: String) -> Bool {
        (try? FileManager.default.attributesOfItem(atPath: file(path).path)) != nil
    }

    /// The text of the root's `path`.
    func text(_ path: String) throws -> String {
        try String(contentsOf: file(path), encoding: .utf8)
    }

    /// Every path in the root, relative to it, but those under ``dpkgDatabase``.
    func paths() throws -> Set<String> {
        guard let enumerator = FileManager.default.enumerator(atPath: url.path) else {
            throw DeploymentTestError("cannot list \(url.path)")
        }
        var paths: Set<String> = []
        while let path = enumerator.nextObject() as? String {
            if path != Self.dpkgDatabase && !path.hasPrefix(Self.dpkgDatabase + "/") { paths.insert(path) }
        }
        return paths
    }

    /// Runs `dpkg --root=<root> --force-script-chrootless --force-depends` with `arguments`: the root has none of
    /// the package's dependencies in its database, and no shell to run maintainer scripts in.
    func dpkg(_ dpkg: String, _ arguments: [String]) throws -> CommandResult {
        try Subprocess.run(
            dpkg, ["--root=\(url.path)", "--force-script-chrootless", "--force-depends"] + arguments,
            environment: Subprocess.cleanEnvironment(), timeout: .seconds(120))
    }

    private func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: file(path))
    }

    /// Deletes the root and everything in it.
    func remove() { scratch.remove() }
}
