import IPWatcherTestSupport
import Foundation
import LocalRedis
import Testing

/// `ipwatcher --version` names the commit the binary was built from, recorded at build time by CommitStampPlugin
/// from the repository's files; outside a repository it says "unknown commit".
@Suite("ipwatcher --version")
struct VersionCommandTests {
    /// The package's root directory.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    @Test("--version prints the version and the commit git rev-parse --short=7 HEAD names, in one line")
    func versionNamesTheCommit() async throws {
        try await withScratchDirectory { scratch in
            let (outcome, stdout, stderr) = try await runIPWatcher(["--version"], in: scratch)
            #expect(outcome.status == 0, "\(outcome); stderr: \(stderr)")
            let line = stdout.trimmingCharacters(in: .newlines)
            #expect(!line.contains("\n"), "\(stdout)")
            #expect(line.hasPrefix("0."), "no version number: \(line)")
            if let head = try Self.output(of: ["git", "-C", Self.packageRoot, "rev-parse", "--short=7", "HEAD"], in: scratch) {
                #expect(line.hasSuffix("(commit \(head))"), "HEAD is \(head): \(line)")
            } else {
                // A source tarball: no repository to read.
                #expect(line.hasSuffix("(unknown commit)"), "\(line)")
            }
        }
    }

    @Test("CommitStamp reads a worktree's HEAD through commondir and packed-refs, and records nil without one")
    func commitStampReadsGitFiles() async throws {
        let tool = try #require(
            IPWatcherExecutable.path.map { URL(fileURLWithPath: $0).deletingLastPathComponent().appendingPathComponent("CommitStamp").path },
            "the ipwatcher executable was not built")
        try await withScratchDirectory { scratch in
            let hash = "0123456789abcdef0123456789abcdef01234567"
            // A main repository whose branch exists only in packed-refs, and a worktree on that branch.
            try FileManager.default.createDirectory(
                atPath: scratch.path + "/main/worktrees/wt", withIntermediateDirectories: true)
            try scratch.write("# pack-refs with: peeled\n\(hash) refs/heads/topic\n", to: "main/packed-refs")
            try scratch.write("ref: refs/heads/topic\n", to: "main/worktrees/wt/HEAD")
            try scratch.write("../..\n", to: "main/worktrees/wt/commondir")
            let output = scratch.path + "/BuildCommit.swift"
            #expect(try Self.output(of: [tool, scratch.path + "/main/worktrees/wt", output], in: scratch) != nil)
            #expect(try String(contentsOfFile: output, encoding: .utf8).contains("static let hash: String? = \"\(hash)\""))
            // A detached HEAD holds the hash itself.
            try scratch.write("\(hash)\n", to: "main/worktrees/wt/HEAD")
            #expect(try Self.output(of: [tool, scratch.path + "/main/worktrees/wt", output], in: scratch) != nil)
            #expect(try String(contentsOfFile: output, encoding: .utf8).contains("\"\(hash)\""))
            // No repository, as in a source tarball.
            #expect(try Self.output(of: [tool, "-", output], in: scratch) != nil)
            #expect(try String(contentsOfFile: output, encoding: .utf8).contains("static let hash: String? = nil"))
        }
    }

    /// What `command` prints on stdout, trimmed, or nil when it fails (or git is not installed); the output goes
    /// through a file in `scratch`.
    static func output(of command: [String], in scratch: ScratchDirectory) throws -> String? {
        let file = try scratch.write("", to: "command-output-\(UUID().uuidString.prefix(8))")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
        process.standardError = FileHandle.nullDevice
        try ProcessLauncher.run(process)
        guard ProcessLauncher.waitForEnding(of: process) == .init(status: 0, exited: true) else { return nil }
        return try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
