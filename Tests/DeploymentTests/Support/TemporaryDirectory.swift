import Foundation

/// A fresh directory under the system's temporary directory, removed by ``remove()``.
struct TemporaryDirectory {
    let url: URL

    /// Creates `ipwatcher-<label>-<random>`, mode 0755 so that an unprivileged child process can read it.
    init(_ label: String) throws {
        url = FileManager.default.temporaryDirectory
            .appending(path: "ipwatcher-\(label)-\(UUID().uuidString.prefix(8))", directoryHint: .isDirectory)
        try FileManager.default.createDirectory(
            at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
    }

    /// `url` with `name` appended.
    func path(_ name: String) -> URL {
        url.appending(path: name)
    }

    /// Writes `text` to `name` with the given permissions and returns its URL.
    @discardableResult
    func write(_ text: String, to name: String, permissions: Int = 0o644) throws -> URL {
        let file = path(name)
        try Data(text.utf8).write(to: file)
        try FileManager.default.setAttributes([.posixPermissions: permissions], ofItemAtPath: file.path)
        return file
    }

    /// Copies the executable at `source` to `name`, mode 0755, and returns its URL.
    ///
    /// The copy is made by `install`, a child process, never by this process: a file this process held open for
    /// writing could be inherited by a child that another test forks at that moment, and executing the copy fails
    /// with "Text file busy" (ETXTBSY) for as long as that child keeps the descriptor. `install` has no other
    /// threads, and its descriptor is gone when it exits.
    func copyExecutable(_ source: URL, to name: String) throws -> URL {
        let target = path(name)
        let result = try Subprocess.run("/usr/bin/install", ["-m", "0755", source.path, target.path])
        guard result.succeeded else {
            throw DeploymentTestError("install \(source.path) \(target.path) failed:\n" + result.combinedOutput)
        }
        return target
    }

    /// Deletes the directory and everything in it.
    func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}
