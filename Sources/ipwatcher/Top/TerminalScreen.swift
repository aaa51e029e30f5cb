#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The terminal of a live `ipwatcher top`: the alternate screen with the cursor hidden, and keys read one at a
/// time without echo; ``restore()`` puts everything back as it was.
///
/// Termios and ANSI escapes only, no curses. Signals still work (`ISIG` stays on), so Ctrl-C reaches the command,
/// which restores the terminal before it exits.
final class TerminalScreen: Sendable {
    /// The input settings before raw mode; nil when standard input is not a terminal (no keys are read then).
    private let saved: termios?

    /// Whether standard output is a terminal, where a live view makes sense.
    static var isInteractive: Bool { isatty(STDOUT_FILENO) == 1 }

    /// Switches to the alternate screen, hides the cursor and turns off line buffering and echo on standard input.
    init() {
        var settings = termios()
        if isatty(STDIN_FILENO) == 1, tcgetattr(STDIN_FILENO, &settings) == 0 {
            saved = settings
            settings.c_lflag &= ~tcflag_t(ICANON | ECHO)
            // Reads return at once, with a key or with nothing.
            withUnsafeMutableBytes(of: &settings.c_cc) { bytes in
                bytes[Int(VMIN)] = 0
                bytes[Int(VTIME)] = 0
            }
            tcsetattr(STDIN_FILENO, TCSANOW, &settings)
        } else {
            saved = nil
        }
        emit("\u{1B}[?1049h\u{1B}[?25l\u{1B}[H\u{1B}[2J")
    }

    /// Shows the cursor, leaves the alternate screen and restores standard input's settings.
    func restore() {
        emit("\u{1B}[?25h\u{1B}[?1049l")
        if var saved { tcsetattr(STDIN_FILENO, TCSANOW, &saved) }
    }

    /// The terminal's size in columns and rows (TIOCGWINSZ); 80 × 24 when it cannot tell.
    func size() -> (columns: Int, rows: Int) {
        var window = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &window) == 0, window.ws_col > 0, window.ws_row > 0 else {
            return (80, 24)
        }
        return (Int(window.ws_col), Int(window.ws_row))
    }

    /// A key pressed since the last call, or nil.
    func key() -> UInt8? {
        guard saved != nil else { return nil }
        var byte: UInt8 = 0
        return read(STDIN_FILENO, &byte, 1) == 1 ? byte : nil
    }

    /// Draws `lines` from the top left, each cleared to its end, and clears what is below them.
    func draw(_ lines: [String]) {
        emit("\u{1B}[H" + lines.map { $0 + "\u{1B}[K" }.joined(separator: "\r\n") + "\u{1B}[J")
    }

    /// Writes `text` to standard output whole.
    private func emit(_ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { write(STDOUT_FILENO, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            bytes = bytes.dropFirst(written)
        }
    }
}
