import Foundation
import TestSupport

/// A real `openruko daemon` subprocess on a data directory (started by `DaemonProcess`, the
/// tests' one launcher), with the runtime's limits shortened so lifecycle tests run fast;
/// stopped with SIGTERM like an operator would, or killed like a crash.
final class RunningDaemon: @unchecked Sendable {
    // @unchecked: `daemon` and `ready` are set in `start` before the value is shared and
    // only read afterwards.
    let dataDir: String
    let environment: [String: String]
    private var daemon: DaemonProcess?
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
        let started = try await DaemonProcess.start(
            dataDir: dataDir, arguments: ["--rendezvous-listen", "127.0.0.1:0"], environment: environment)
        daemon = started
        for field in started.readyLine.split(separator: " ").dropFirst(2) {
            let parts = field.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { ready[String(parts[0])] = String(parts[1]) }
        }
    }

    /// SIGTERM, then waits for the daemon to exit.
    func stop() async {
        _ = await daemon?.stop()
    }

    /// SIGKILL (a crash: nothing is cleaned up), then waits for the daemon to exit.
    func kill() async {
        await daemon?.kill()
    }

    /// The daemon's process id (0 before `start`).
    var pid: Int32 { daemon?.pid ?? 0 }

    /// What the daemon printed: its ready line and its log.
    var printed: String { daemon.map { $0.readyLine + "\n" + $0.log } ?? "" }

    deinit {
        if let daemon, daemon.isRunning { Glibc.kill(daemon.pid, SIGKILL) }
    }
}
