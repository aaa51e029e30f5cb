import Foundation
import Synchronization
import Traffic

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Shows feed progress on stderr: one line rewritten in place (`\r`) about five times a second on a
/// terminal, a plain line every five seconds otherwise (logs and pipes should not fill with carriage returns).
final class FeedProgressPrinter: Sendable {
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private let state = Mutex(State())

    private struct State {
        var lineOpen = false
        var lastPlain: ContinuousClock.Instant?
    }

    /// How often a non-terminal gets a line.
    private static let plainInterval: Duration = .seconds(5)

    /// Shows one progress report.
    func show(_ progress: FeedProgress) {
        let line = progress.line
        state.withLock { state in
            if case .waitingForWindowBoundary = progress.stage {
                Self.write((state.lineOpen ? "\n" : "") + line + "\n")
                state.lineOpen = false
                return
            }
            if isTerminal {
                Self.write("\r" + line + "\u{1B}[K")
                state.lineOpen = true
                return
            }
            let now = ContinuousClock.now
            let final = progress.stage == .finished
            if final || state.lastPlain.map({ now - $0 >= Self.plainInterval }) ?? true {
                Self.write(line + "\n")
                state.lastPlain = now
            }
        }
    }

    /// Ends the in-place line, if any, so what follows starts on a line of its own.
    func finishLine() {
        state.withLock { state in
            if state.lineOpen { Self.write("\n") }
            state.lineOpen = false
        }
    }

    /// Prints a message on a line of its own.
    func note(_ message: String) {
        state.withLock { state in
            Self.write((state.lineOpen ? "\n" : "") + message + "\n")
            state.lineOpen = false
        }
    }

    private static func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
