import Foundation
import TestSupport

/// A real `openruko daemon` subprocess on a data directory, with the runtime's limits
/// shortened so lifecycle tests run fast; stopped with SIGTERM like an operator would.
final class RunningDaemon: @unchecked Sendable {
    // @unchecked: `process` and `ready` are set in `start` before the value is shared and
    // only read afterwards; `output` is guarded by `lock`.
    let dataDir: String
    let environment: [String: String]
    private var process: Process?
    private let lock = NSLock()
    private var output = ""
    private(set) var ready: [String: String] = [:]

    /// Short limits: stop grace 2 s, restarts after 0, 2, 4 s; boot 30 s, since a dyno boots
    /// slowly on a machine busy with every other suite (the R10 test sets its own).
    static let testEnvironment = [
        "OPENRUKO_BOOT_TIMEOUT": "30", "OPENRUKO_STOP_TIMEOUT": "2", "OPENRUKO_RESTART_BACKOFF": "0,2,4",
    ]

    init(dataDir: String, environment: [String: String] = RunningDaemon.testEnvironment) {
        self.dataDir = dataDir
        self.environment = environment
    }

    /// Starts the daemon and waits for its `openruko ready` line.
    func start() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: OpenrukoBinary.path)
        process.arguments = [
            "daemon", "--data-dir", dataDir, "--api-listen", "127.0.0.1:0", "--router-listen", "127.0.0.1:0",
            "--router-tls-listen", "127.0.0.1:0", "--ssh-listen", "127.0.0.1:0", "--rendezvous-listen", "127.0.0.1:0",
        ]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = stdout
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.process = process
        let handle = stdout.fileHandleForReading
        Thread { [self] in
            while true {
                let data = handle.availableData
                if data.isEmpty { return }
                lock.withLock { output += String(decoding: data, as: UTF8.self) }
            }
        }.start()
        for _ in 0..<600 {
            let text = lock.withLock { output }
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("openruko ready") }) {
                for field in line.split(separator: " ").dropFirst(2) {
                    let parts = field.split(separator: "=", maxSplits: 1)
                    if parts.count == 2 { ready[String(parts[0])] = String(parts[1]) }
                }
                return
            }
            guard process.isRunning else { throw TestFailure("the daemon exited: \(text)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("the daemon never said it was ready: \(lock.withLock { output })")
    }

    /// SIGTERM, then waits for the daemon to exit.
    func stop() async {
        guard let process, process.isRunning else { return }
        process.terminate()
        for _ in 0..<600 where process.isRunning { try? await Task.sleep(for: .milliseconds(50)) }
    }

    /// SIGKILL (a crash: nothing is cleaned up), then waits for the daemon to exit.
    func kill() async {
        guard let process, process.isRunning else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        for _ in 0..<600 where process.isRunning { try? await Task.sleep(for: .milliseconds(50)) }
    }

    /// The daemon's process id (0 before `start`).
    var pid: Int32 { process?.processIdentifier ?? 0 }

    /// What the daemon printed.
    var printed: String { lock.withLock { output } }

    deinit {
        if let process, process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
    }
}
