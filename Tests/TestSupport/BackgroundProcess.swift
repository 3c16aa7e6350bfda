import Foundation

/// A long-running program (an `ssh -N` tunnel, a stalled client) started behind a small
/// bash parent, in its own process group. Programs like ssh close every inherited
/// descriptor at startup, including the one Foundation's `Process` watches; launched
/// directly they make Foundation block in `waitpid` on them, which stops it reaping any
/// other child until they exit. Children of Foundation's `Process` also inherit a blocked
/// signal mask (SIGTERM included), so `stop` uses SIGKILL on the whole group.
package final class BackgroundProcess: Sendable {
    private let parent: Process
    /// The program's process id.
    package let pid: Int32

    /// Starts `arguments` (program first); stdout and stderr go to `log` (or nowhere).
    package init(_ arguments: [String], log: String? = nil, standardInput: String = "/dev/null") async throws {
        let parent = Process()
        parent.executableURL = URL(fileURLWithPath: "/bin/bash")
        let output = log.map { " >'\($0)' 2>&1" } ?? " >/dev/null 2>&1"
        parent.arguments = ["-c", "setsid \"$@\" <'\(standardInput)'\(output) & echo $!; wait", "background"] + arguments
        let pipe = Pipe()
        parent.standardOutput = pipe
        parent.standardInput = FileHandle.nullDevice
        parent.standardError = FileHandle.nullDevice
        try parent.run()
        let line = await withCheckedContinuation { continuation in
            Thread {
                var text = ""
                while !text.contains("\n") {
                    let chunk = pipe.fileHandleForReading.availableData
                    if chunk.isEmpty { break }
                    text += String(decoding: chunk, as: UTF8.self)
                }
                continuation.resume(returning: text)
            }.start()
        }
        guard let pid = Int32(line.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw TestFailure("cannot start \(arguments.first ?? "")")
        }
        self.parent = parent
        self.pid = pid
    }

    /// Whether the program still runs.
    package var isRunning: Bool { kill(pid, 0) == 0 && parent.isRunning }

    /// Kills the program, everything it started, and its bash parent.
    package func stop() {
        kill(-pid, SIGKILL)
        kill(pid, SIGKILL)
        if parent.isRunning { kill(parent.processIdentifier, SIGKILL) }
    }

    deinit { stop() }
}
