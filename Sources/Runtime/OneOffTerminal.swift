import Foundation

/// The terminal of an attached one-off whose client has one: util-linux `script` inside the
/// sandbox makes a PTY from the sandbox's own `/dev/pts` (so nothing of the host's terminals
/// is reachable), sets its size, and runs the dyno's launcher on it; keystrokes such as
/// Ctrl-C reach the process through the PTY's line discipline, and `script -e` returns the
/// command's exit status.
///
/// ```swift
/// OneOffTerminal(columns: 120, lines: 40).wrap(["/bin/bash", "-c", "…", "openruko-dyno", "bash"])
/// // ["/usr/bin/script", "-qfec", "stty rows 40 cols 120 2>/dev/null; exec '/bin/bash' '-c' …", "/dev/null"]
/// ```
struct OneOffTerminal: Sendable, Hashable {
    var columns: Int?
    var lines: Int?

    /// `command` run on a new PTY.
    func wrap(_ command: [String]) -> [String] {
        var size = ""
        if let lines, let columns, (1...10_000).contains(lines), (1...10_000).contains(columns) {
            size = "stty rows \(lines) cols \(columns) 2>/dev/null; "
        }
        let line = size + "exec " + command.map(Self.quote).joined(separator: " ")
        return ["/usr/bin/script", "-qfec", line, "/dev/null"]
    }

    /// `word` as one single-quoted shell word.
    static func quote(_ word: String) -> String {
        "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
