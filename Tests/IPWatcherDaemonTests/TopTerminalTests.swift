import Foundation
import IPWatcherTestSupport
import Testing

/// The live `ipwatcher top` in a real terminal (tmux, 120 × 40): it draws on the alternate screen with the cursor
/// hidden, redraws as the counts change, and on `q` or Ctrl-C exits 0 with the terminal as it was.
@Suite("ipwatcher top in a terminal", .needsRedisServer, .requires("tmux", package: "tmux"), .timeLimit(.minutes(10)))
struct TopTerminalTests {
    /// The shell command tmux runs: `ipwatcher top …`, then a line with its exit status, then a wait (so the pane
    /// stays to be read).
    static func command(_ fixture: TopWorkerFixture) throws -> String {
        let words = [try IPWatcherExecutable.require()] + fixture.topArguments + ["--interval", "0.3"]
        return words.map(TmuxSession.shellQuoted).joined(separator: " ")
            + #"; echo "top exited with status $?"; exec sleep 300"#
    }

    /// Waits until the pane shows `text`, and returns the screen.
    @discardableResult
    static func waitForScreen(_ session: TmuxSession, showing text: String) async throws -> String {
        var screen = ""
        do {
            try await waitUntil("the pane shows \(text.debugDescription)", within: .seconds(20)) {
                screen = try await session.capture()
                return screen.contains(text)
            }
        } catch {
            Issue.record("the pane:\n\(screen)")
            throw error
        }
        return screen
    }

    @Test("it draws, redraws when a count changes, and q restores the terminal and exits 0")
    func drawsRedrawsAndQuits() async throws {
        try await withTopWorker { fixture in
            try await fixture.push("198.51.100.40", 5, total: 5)
            try await withScratchDirectory { scratch in
                try await withTmuxSession(running: try Self.command(fixture), in: scratch) { session in
                    let screen = try await Self.waitForScreen(session, showing: "  198.51.100.40          5       10   50%")
                    #expect(screen.hasPrefix("ipwatcher top  \(fixture.server.url)  "), "\(screen)")
                    #expect(screen.contains("(every 0.3 s, q quits)"))
                    #expect(screen.split(separator: "\n").allSatisfy { $0.count <= 120 })
                    #expect(try await session.format("#{alternate_on} #{cursor_flag}") == "1 0", "alternate screen, no cursor")

                    try await fixture.push("198.51.100.40", 2, total: 7)
                    try await Self.waitForScreen(session, showing: "  198.51.100.40          7       10   70%")

                    try await session.sendKeys("q")
                    let after = try await Self.waitForScreen(session, showing: "top exited with status 0")
                    #expect(!after.contains("ipwatcher top"), "the normal screen is back: \(after)")
                    #expect(try await session.format("#{alternate_on} #{cursor_flag}") == "0 1", "cursor shown again")
                }
            }
        }
    }

    @Test("Ctrl-C also restores the terminal and exits 0")
    func interruptRestores() async throws {
        try await withTopWorker { fixture in
            try await withScratchDirectory { scratch in
                try await withTmuxSession(running: try Self.command(fixture), in: scratch) { session in
                    try await Self.waitForScreen(session, showing: "latest blocks")
                    try await session.sendKeys("C-c")
                    let after = try await Self.waitForScreen(session, showing: "top exited with status 0")
                    #expect(!after.contains("latest blocks"), "\(after)")
                    #expect(try await session.format("#{alternate_on} #{cursor_flag}") == "0 1")
                }
            }
        }
    }
}
