import Foundation
import OpenrukoCore
import Subprocess

#if canImport(System)
    import System
#else
    import SystemPackage
#endif

/// The terminal sshd gave `openruko ssh-command` (`ssh -t`), for `run`/`run:inside`: its
/// size and `TERM` become the dyno's PTY, and it is put in raw mode with Debian's `stty` (so
/// keystrokes such as Ctrl-C reach the dyno's PTY as bytes and its output is shown as it is),
/// then restored. Without a terminal (plain pipes) there is none and nothing changes.
///
/// ```swift
/// let terminal = await ForcedCommandTerminal.open(term: environment["TERM"])
/// defer { await terminal?.restore() }
/// ```
struct ForcedCommandTerminal: Sendable {
    /// The size and `TERM` the dyno gets.
    let window: TerminalWindow
    /// `stty -g`: the settings to restore.
    let saved: String

    /// The terminal on stdin in raw mode, or nil when stdin is no terminal.
    static func open(term: String?) async -> ForcedCommandTerminal? {
        guard isatty(STDIN_FILENO) == 1, let saved = await stty(["-g"]), let size = await stty(["size"]) else { return nil }
        let numbers = size.split(separator: " ").compactMap { Int($0) }
        let window = TerminalWindow(
            term: term, size: numbers.count == 2 ? TerminalSize(columns: numbers[1], lines: numbers[0]) : .standard)
        guard await stty(["raw", "-echo"]) != nil else { return nil }
        return ForcedCommandTerminal(window: window, saved: saved)
    }

    /// Puts the terminal back as it was.
    func restore() async {
        _ = await Self.stty([saved])
    }

    /// `stty ARGS` on stdin: its output, or nil when it failed.
    private static func stty(_ arguments: [String]) async -> String? {
        let result = try? await Subprocess.run(
            .path(FilePath("/usr/bin/stty")), arguments: Arguments(arguments),
            input: .fileDescriptor(.standardInput, closeAfterSpawningProcess: false),
            output: .string(limit: 4096), error: .discarded)
        guard let result, result.terminationStatus.isSuccess else { return nil }
        return result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
