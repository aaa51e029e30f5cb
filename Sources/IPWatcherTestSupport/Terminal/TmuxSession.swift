import Foundation
import Testing

/// A detached tmux session on a private server (`tmux -L <unique socket>`), for tests of what a program shows in
/// a real terminal: ``capture()`` reads the screen, ``sendKeys(_:)`` types, ``format(_:)`` asks tmux about the
/// pane (`#{alternate_on}`, `#{cursor_flag}`, …).
///
/// Made by ``withTmuxSession(running:width:height:in:_:)``, which kills the private server afterwards, whatever
/// happened; a developer's own tmux sessions are never touched.
public struct TmuxSession: Sendable {
    /// The tmux executable.
    public let tmux: String
    /// The private server's socket name.
    public let socket: String
    /// Where the tmux commands' output files go.
    public let scratch: ScratchDirectory

    /// Runs `tmux -L <socket> arguments…` to completion and returns what it printed; throws when it fails.
    @discardableResult
    public func run(_ arguments: [String]) async throws -> String {
        let process = try ChildProcess(executable: tmux, arguments: ["-L", socket] + arguments, in: scratch)
        guard let outcome = try await process.waitForExit(within: .seconds(10)) else {
            await process.killAndReap()
            throw WaitTimedOut(description: "tmux \(arguments.joined(separator: " ")) did not exit within 10 s")
        }
        guard outcome.status == 0 else {
            throw WaitTimedOut(
                description: "tmux \(arguments.joined(separator: " ")) failed (\(outcome)): \(process.standardError)")
        }
        return process.standardOutput
    }

    /// The pane's visible text, one line per row (`capture-pane -p`).
    public func capture() async throws -> String {
        try await run(["capture-pane", "-p", "-t", "test"])
    }

    /// Types `keys` into the pane, in tmux's key names (`q`, `C-c`, `Enter`).
    public func sendKeys(_ keys: String...) async throws {
        try await run(["send-keys", "-t", "test"] + keys)
    }

    /// A tmux format about the pane, such as `#{alternate_on}`, without the trailing newline.
    public func format(_ format: String) async throws -> String {
        try await run(["display-message", "-p", "-t", "test", format])
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `word` quoted for `sh`: in single quotes, with any single quote written `'\''`.
    public static func shellQuoted(_ word: String) -> String {
        "'" + word.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }
}

/// Starts a detached session named `test`, `width` × `height`, running the shell command `command` on a private
/// tmux server, runs `body` with it, and kills that server afterwards.
public func withTmuxSession<Result>(
    running command: String, width: Int = 120, height: Int = 40, in scratch: ScratchDirectory,
    _ body: (TmuxSession) async throws -> Result
) async throws -> Result {
    let tmux = try ExternalTools.require("tmux", package: "tmux")
    let session = TmuxSession(tmux: tmux, socket: "ipwatcher-test-\(UUID().uuidString.prefix(8))", scratch: scratch)
    // No configuration file of the developer's (-f /dev/null).
    try await session.run([
        "-f", "/dev/null", "new-session", "-d", "-s", "test", "-x", "\(width)", "-y", "\(height)", command,
    ])
    do {
        let result = try await body(session)
        _ = try? await session.run(["kill-server"])
        return result
    } catch {
        _ = try? await session.run(["kill-server"])
        throw error
    }
}
