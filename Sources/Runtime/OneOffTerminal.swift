import Foundation
import OpenrukoCore

/// The terminal of an attached one-off whose client has one: util-linux `script` inside the
/// sandbox makes a PTY from the sandbox's own `/dev/pts` (so nothing of the host's terminals
/// is reachable), sets its size, and runs the dyno's launcher on it; keystrokes such as
/// Ctrl-C reach the process through the PTY's line discipline, and `script -e` returns the
/// command's exit status.
///
/// Window changes arrive as `ROWS COLUMNS` lines on a FIFO the sandbox sees at `resizePath`
/// (`OneOffResizeChannel`): a small loop started on the PTY reads them and applies them with
/// `stty` on its controlling terminal (the PTY), so the kernel sends the foreground process
/// SIGWINCH. The loop ignores the keyboard's signals (Ctrl-C must not stop it) and ends with
/// the sandbox.
///
/// ```swift
/// OneOffTerminal(size: TerminalSize(columns: 120, lines: 40)).wrap(["/bin/bash", "-c", "…", "openruko-dyno", "bash"])
/// // ["/usr/bin/script", "-qfec", "stty rows 40 cols 120 2>/dev/null; (trap …) &\nexec '/bin/bash' '-c' …", "/dev/null"]
/// ```
struct OneOffTerminal: Sendable, Hashable {
    /// Where the sandbox sees the FIFO of window changes.
    static let resizePath = "/dev/openruko-winsize"

    var size: TerminalSize
    /// Whether window changes are followed (a FIFO is bound at `resizePath`).
    var followsResizes = true

    /// `command` run on a new PTY.
    func wrap(_ command: [String]) -> [String] {
        var line = "stty rows \(size.lines) cols \(size.columns) 2>/dev/null; "
        if followsResizes {
            line +=
                #"(trap '' INT QUIT TSTP; while read -r r c; do stty -F /dev/tty rows "$r" cols "$c"; done) <\#(Self.resizePath) >/dev/null 2>&1 &"#
                + "\n"
        }
        line += "exec " + command.map(Self.quote).joined(separator: " ")
        return ["/usr/bin/script", "-qfec", line, "/dev/null"]
    }

    /// `word` as one single-quoted shell word.
    static func quote(_ word: String) -> String {
        "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
