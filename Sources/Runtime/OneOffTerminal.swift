import Foundation
import OpenrukoCore
import Isolation

/// The terminal of an attached one-off whose client has one: util-linux `script` inside the
/// sandbox makes a PTY from the sandbox's own `/dev/pts` (so nothing of the host's terminals
/// is reachable), sets its size, and runs the dyno's launcher on it; keystrokes such as
/// Ctrl-C reach the process through the PTY's line discipline, and `script -e` returns the
/// command's exit status. A container image may have neither `script` nor `stty` (nor a
/// libc): its sandbox gets the host's, read-only, with their loader (`Tools`).
///
/// Window changes arrive as `ROWS COLUMNS` lines on a FIFO the sandbox sees at `resizePath`
/// (`OneOffResizeChannel`), or, for a process joined into a running dyno (`run:inside`: a
/// running sandbox gets no new binds), on an inherited descriptor (`resizeDescriptor`). A
/// small loop started on the PTY reads them and applies them with `stty` on its controlling
/// terminal (the PTY), so the kernel sends the foreground process SIGWINCH. The loop ignores
/// the keyboard's signals (Ctrl-C must not stop it) and ends with the sandbox, or when the
/// FIFO's writer closes it.
///
/// ```swift
/// OneOffTerminal(size: TerminalSize(columns: 120, lines: 40)).wrap(["/bin/bash", "-c", "…", "openruko-dyno", "bash"])
/// // ["/usr/bin/script", "-qfec", "stty rows 40 cols 120 2>/dev/null; (trap …) &\nexec '/bin/bash' '-c' …", "/dev/null"]
/// ```
struct OneOffTerminal: Sendable, Hashable {
    /// Where the sandbox sees the FIFO of window changes.
    static let resizePath = "/dev/openruko-winsize"

    /// The host's `script` and `stty` with the dynamic loader and libc they need, bound
    /// read-only into a sandbox at `directory` and run through the loader, so they work on
    /// any root filesystem.
    struct Tools: Sendable, Hashable {
        /// Where the sandbox sees them.
        static let directory = "/dev/openruko-tty"
        /// Host paths: the loader, libc, `script`, `stty`.
        var loader: String
        var libc: String
        var script = "/usr/bin/script"
        var stty = "/usr/bin/stty"

        /// The host's (nil when one is missing).
        static func host() -> Tools? {
            let loaders = ["/lib64/ld-linux-x86-64.so.2", "/lib/ld-linux-aarch64.so.1"]
            let libcs = ["/lib/x86_64-linux-gnu/libc.so.6", "/lib/aarch64-linux-gnu/libc.so.6"]
            guard let loader = loaders.first(where: { FileManager.default.fileExists(atPath: $0) }),
                let libc = libcs.first(where: { FileManager.default.fileExists(atPath: $0) })
            else { return nil }
            let tools = Tools(loader: URL(fileURLWithPath: loader).resolvingSymlinksInPath().path, libc: libc)
            guard FileManager.default.isExecutableFile(atPath: tools.script), FileManager.default.isExecutableFile(atPath: tools.stty)
            else { return nil }
            return tools
        }

        /// The read-only binds that show them at `directory`.
        var binds: [SandboxConfiguration.Bind] {
            [
                .init(loader, at: Self.directory + "/ld.so"), .init(libc, at: Self.directory + "/libc.so.6"),
                .init(script, at: Self.directory + "/script"), .init(stty, at: Self.directory + "/stty"),
            ]
        }

        /// The words that run `tool` (`script`, `stty`) inside the sandbox.
        static func invocation(_ tool: String) -> [String] {
            [directory + "/ld.so", "--library-path", directory, directory + "/" + tool]
        }
    }

    var size: TerminalSize
    /// Whether window changes are followed (a FIFO is bound at `resizePath`).
    var followsResizes = true
    /// Whether `script` and `stty` are the bound `Tools` rather than the sandbox's own.
    var boundTools = false
    /// When set, window changes are read from this inherited descriptor instead of
    /// `resizePath` (and the command itself does not inherit it).
    var resizeDescriptor: Int32?

    /// `command` run on a new PTY.
    func wrap(_ command: [String]) -> [String] {
        let stty = boundTools ? Tools.invocation("stty").map(ShellWord.quoted).joined(separator: " ") : "stty"
        var line = "\(stty) rows \(size.lines) cols \(size.columns) 2>/dev/null; "
        if followsResizes {
            let source = resizeDescriptor.map { "&\($0)" } ?? Self.resizePath
            line +=
                #"(trap '' INT QUIT TSTP; while read -r r c; do \#(stty) -F /dev/tty rows "$r" cols "$c"; done) <\#(source) >/dev/null 2>&1 &"#
                + "\n"
        }
        line += "exec " + command.map(ShellWord.quoted).joined(separator: " ")
        if followsResizes, let resizeDescriptor { line += " \(resizeDescriptor)<&-" }
        let script = boundTools ? Tools.invocation("script") : ["/usr/bin/script"]
        return script + ["-qfec", line, "/dev/null"]
    }
}
