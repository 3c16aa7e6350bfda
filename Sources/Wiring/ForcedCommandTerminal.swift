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
/// then restored. While it is open, each SIGWINCH (sshd resized the terminal: the client's
/// window changed) reads the new size into `window`, which the dyno's PTY follows. Without a
/// terminal (plain pipes) there is none and nothing changes.
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
    /// Follows the terminal's size until `restore`.
    let follower: Task<Void, Never>

    /// The terminal on stdin in raw mode, or nil when stdin is no terminal.
    static func open(term: String?) async -> ForcedCommandTerminal? {
        guard isatty(STDIN_FILENO) == 1, let saved = await stty(["-g"]), let size = await stty(["size"]) else { return nil }
        let window = TerminalWindow(term: term, size: Self.size(size) ?? .standard)
        guard await stty(["raw", "-echo"]) != nil else { return nil }
        return ForcedCommandTerminal(window: window, saved: saved, follower: followResizes(window))
    }

    /// Puts the terminal back as it was.
    func restore() async {
        follower.cancel()
        _ = await Self.stty([saved])
    }

    /// `stty size`'s `ROWS COLUMNS`.
    static func size(_ text: String) -> TerminalSize? {
        let numbers = text.split(separator: " ").compactMap { Int($0) }
        return numbers.count == 2 ? TerminalSize(columns: numbers[1], lines: numbers[0]) : nil
    }

    /// Re-reads the size into `window` on every SIGWINCH, one at a time (a burst of them
    /// collapses into one read), until cancelled.
    private static func followResizes(_ window: TerminalWindow) -> Task<Void, Never> {
        signal(SIGWINCH, SIG_IGN)  // delivered to the dispatch source only
        return Task {
            let (signals, signalled) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
            let source = DispatchSource.makeSignalSource(signal: SIGWINCH, queue: .global())
            source.setEventHandler { signalled.yield() }
            source.resume()
            await withTaskCancellationHandler {
                for await _ in signals {
                    if let text = await stty(["size"]), let size = Self.size(text) { window.resize(size) }
                }
            } onCancel: {
                signalled.finish()
            }
            source.cancel()
        }
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
