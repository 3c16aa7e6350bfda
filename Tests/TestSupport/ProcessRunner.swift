package import Foundation
import Subprocess
import SystemPackage

/// The outcome of a finished subprocess.
package struct ProcessResult: Sendable {
    package var status: Int32
    package var stdout: String
    package var stderr: String
}

/// Runs programs as real subprocesses for end-to-end tests.
package enum ProcessRunner {
    /// Runs `executable` with `arguments`, feeding `input` on stdin, and waits for it.
    /// - Parameters:
    ///   - environment: added to (and overriding) the test's own environment.
    package static func run(
        _ executable: String, _ arguments: [String], input: Data = Data(), environment: [String: String] = [:],
        directory: String? = nil
    ) async throws -> ProcessResult {
        // swift-subprocess, not Foundation's Process: on Linux `Process.run()` over-reads a
        // `dirent` past glibc's readdir buffer (swift-corelibs-foundation PR #5472, in Swift
        // 6.3.1) and crashed the test process in two CI runs of this suite.
        var added: [Environment.Key: String?] = [:]
        for (key, value) in environment { if let key = Environment.Key(rawValue: key) { added[key] = value } }
        // Detached: a caller's cancellation (a test stopping its client loops) must not kill a
        // program mid-run, which swift-subprocess does; the run always completes, as before.
        let command = (executable, arguments, input)
        let result = try await Task.detached {
            try await Subprocess.run(
                .path(FilePath(command.0)), arguments: Arguments(command.1), environment: .inherit.updating(added),
                workingDirectory: directory.map { FilePath($0) }, input: .array(Array(command.2)),
                output: .bytes(limit: 256 << 20), error: .bytes(limit: 256 << 20))
        }.value
        let status: Int32 =
            switch result.terminationStatus {
            case .exited(let code): code
            case .signaled(let signal): signal
            }
        return ProcessResult(
            status: status, stdout: String(decoding: result.standardOutput, as: UTF8.self),
            stderr: String(decoding: result.standardError, as: UTF8.self))
    }

    /// Finds a program on PATH.
    package static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
