import Foundation
import PackagePlugin

/// Generates `BuildCommit.swift`, the commit the target is built from, by running the `CommitStamp` tool.
///
/// No `git` process runs, neither here nor in the tool: the tool reads the repository's files (`HEAD`, the ref
/// it names, `packed-refs`), which needs no sandbox exception and works where git is not installed. The files
/// that move whenever HEAD does are the command's inputs, so a commit, checkout or reset regenerates the file
/// and nothing stale is built; outside a repository (a source tarball) there are none and the commit is unknown.
@main
struct CommitStampPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) async throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appending(path: "BuildCommit.swift")
        let gitDirectory = Self.gitDirectory(of: context.package.directoryURL)
        var inputs: [URL] = []
        if let gitDirectory {
            let common = Self.commonDirectory(of: gitDirectory)
            // logs/HEAD grows with every move of HEAD (commit, checkout, reset, merge) while the reflog is on,
            // as git's default is; HEAD, the branch refs and packed-refs cover a repository without it.
            inputs = [
                gitDirectory.appending(path: "HEAD"), gitDirectory.appending(path: "logs/HEAD"),
                common.appending(path: "packed-refs"), common.appending(path: "refs/heads"),
            ].filter { FileManager.default.fileExists(atPath: $0.path) }
        }
        return [
            .buildCommand(
                displayName: "Recording the commit ipwatcher is built from",
                executable: try context.tool(named: "CommitStamp").url,
                arguments: [gitDirectory?.path ?? "-", output.path],
                inputFiles: inputs,
                outputFiles: [output])
        ]
    }

    /// The repository's git directory: `.git`, or where a `.git` file (a worktree, a submodule) points.
    static func gitDirectory(of package: URL) -> URL? {
        let dotGit = package.appending(path: ".git")
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dotGit.path, isDirectory: &isDirectory) else { return nil }
        if isDirectory.boolValue { return dotGit }
        guard let text = try? String(contentsOf: dotGit, encoding: .utf8), text.hasPrefix("gitdir:") else { return nil }
        let path = text.dropFirst("gitdir:".count).trimmingCharacters(in: .whitespacesAndNewlines)
        return path.hasPrefix("/") ? URL(filePath: path) : package.appending(path: path)
    }

    /// Where the shared refs of a worktree's git directory are (its `commondir` file), else the directory itself.
    static func commonDirectory(of gitDirectory: URL) -> URL {
        guard let text = try? String(contentsOf: gitDirectory.appending(path: "commondir"), encoding: .utf8) else {
            return gitDirectory
        }
        let path = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return path.hasPrefix("/") ? URL(filePath: path) : gitDirectory.appending(path: path).standardized
    }
}
