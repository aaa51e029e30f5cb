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

    /// Deletes the directory and everything in it.
    func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}
