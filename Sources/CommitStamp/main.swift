import Foundation

// Writes a Swift file declaring the commit the package is built from, read from the git directory's files.
//
// Usage: CommitStamp GIT_DIRECTORY|- OUTPUT_FILE. Run by CommitStampPlugin at build time; "-" (no repository, as
// in a source tarball) records no commit. No git process is run.

/// The full hash HEAD points at in `gitDirectory`, or nil when it cannot be read.
func headCommit(in gitDirectory: URL) -> String? {
    guard let head = read(gitDirectory.appending(path: "HEAD")) else { return nil }
    guard head.hasPrefix("ref:") else { return isHash(head) ? head : nil }
    let ref = head.dropFirst("ref:".count).trimmingCharacters(in: .whitespaces)
    var common = gitDirectory
    if let relative = read(gitDirectory.appending(path: "commondir")) {
        common = relative.hasPrefix("/") ? URL(filePath: relative) : gitDirectory.appending(path: relative).standardized
    }
    for directory in [gitDirectory, common] {
        if let hash = read(directory.appending(path: ref)), isHash(hash) { return hash }
    }
    // A ref not written loose since the last `git pack-refs`: "<hash> <ref>" lines in packed-refs.
    for line in (read(common.appending(path: "packed-refs")) ?? "").split(separator: "\n") {
        let parts = line.split(separator: " ")
        if parts.count == 2, parts[1] == ref, isHash(String(parts[0])) { return String(parts[0]) }
    }
    return nil
}

/// The file's text without surrounding white space, or nil.
func read(_ file: URL) -> String? {
    (try? String(contentsOf: file, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
}

/// Whether `text` is a SHA-1 or SHA-256 object name.
func isHash(_ text: String) -> Bool {
    (text.count == 40 || text.count == 64) && text.allSatisfy(\.isHexDigit)
}

let arguments = CommandLine.arguments
guard arguments.count == 3 else {
    FileHandle.standardError.write(Data("usage: CommitStamp GIT_DIRECTORY|- OUTPUT_FILE\n".utf8))
    exit(64)
}
let commit = arguments[1] == "-" ? nil : headCommit(in: URL(filePath: arguments[1]))
let literal = commit.map { "\"\($0)\"" } ?? "nil"
let source = """
    // Generated at build time by CommitStampPlugin; not in git.

    /// The commit this binary was built from.
    enum BuildCommit {
        /// The full hash of the commit HEAD pointed at, or nil when built outside a git checkout.
        static let hash: String? = \(literal)
    }

    """
do {
    try Data(source.utf8).write(to: URL(filePath: arguments[2]), options: .atomic)
} catch {
    FileHandle.standardError.write(Data("CommitStamp: cannot write \(arguments[2]): \(error)\n".utf8))
    exit(1)
}
