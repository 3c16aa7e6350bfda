import Foundation

/// A real `openruko daemon` (or the SSH test server) running as a subprocess on port 0,
/// ready once it printed `openruko ready …`.
///
/// ```swift
/// try await DaemonProcess.with(dataDir: dir.path) { daemon in
///     let ssh = SSHClient(port: daemon.sshPort, key: key)
/// }
/// ```
package final class DaemonProcess: @unchecked Sendable {
    // @unchecked: `process` is only started once and then read; Process is thread-safe for
    // the calls used (processIdentifier, isRunning, waitUntilExit).
    private let process: Process
    /// The address the embedded SSH server bound.
    package let sshPort: Int
    /// The ports every listener bound, by name (`ssh`, `api`, `router`, `https`).
    package let ports: [String: Int]
    /// The port of the Platform API listener.
    package var apiPort: Int { ports["api"] ?? 0 }
    /// The port of the HTTP router.
    package var routerPort: Int { ports["router"] ?? 0 }
    /// The port of the router's HTTPS listener.
    package var httpsPort: Int { ports["https"] ?? 0 }
    /// The ready line.
    package let readyLine: String
    /// Where the daemon's stderr goes.
    package let logPath: String

    /// The daemon's process id.
    package var pid: Int32 { process.processIdentifier }

    private init(process: Process, ports: [String: Int], readyLine: String, logPath: String) {
        self.process = process
        self.ports = ports
        self.sshPort = ports["ssh"] ?? 0
        self.readyLine = readyLine
        self.logPath = logPath
    }

    /// Starts a daemon and waits until it is ready.
    /// - Parameters:
    ///   - executable: `openruko` (default) or `openruko-ssh-testserver`.
    ///   - arguments: more flags; every listener not named there binds 127.0.0.1:0.
    ///   - environment: added to (and overriding) the test's own environment.
    package static func start(
        executable: String = OpenrukoBinary.path, subcommand: [String] = ["daemon"], dataDir: String, arguments: [String] = [],
        environment: [String: String] = [:]
    ) async throws -> DaemonProcess {
        let logPath = dataDir + ".daemon.log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        // The SSH test server has no --router-tls-listen flag: it reads OPENRUKO_ROUTER_TLS_LISTEN.
        let flags = ["--ssh-listen", "--api-listen", "--router-listen"] + (executable == OpenrukoBinary.path ? ["--router-tls-listen"] : [])
        let listeners = flags.filter { !arguments.contains($0) }
        process.arguments = subcommand + ["--data-dir", dataDir] + listeners.flatMap { [$0, "127.0.0.1:0"] } + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle(forWritingAtPath: logPath)
        process.standardInput = FileHandle.nullDevice
        // Its own block of dyno ports, so daemons side by side do not race for one.
        let dynoPorts = ["OPENRUKO_DYNO_PORTS": DynoPortBlocks.next(), "OPENRUKO_ROUTER_TLS_LISTEN": "127.0.0.1:0",
            "OPENRUKO_RENDEZVOUS_LISTEN": "127.0.0.1:0"]
            .merging(environment) { _, new in new }
        process.environment = ProcessInfo.processInfo.environment.merging(dynoPorts) { _, new in new }
        try process.run()
        let line = await withCheckedContinuation { (continuation: CheckedContinuation<String?, Never>) in
            Thread {
                var buffer = Data()
                while true {
                    let chunk = output.fileHandleForReading.availableData
                    if chunk.isEmpty { return continuation.resume(returning: nil) }
                    buffer.append(chunk)
                    let text = String(decoding: buffer, as: UTF8.self)
                    if let ready = text.split(separator: "\n").first(where: { $0.hasPrefix("openruko ready") }) {
                        // Keep draining so the daemon never blocks on a full stdout pipe.
                        Thread { while !output.fileHandleForReading.availableData.isEmpty {} }.start()
                        return continuation.resume(returning: String(ready))
                    }
                }
            }.start()
        }
        var ports: [String: Int] = [:]
        for field in line?.split(separator: " ").dropFirst(2) ?? [] {
            let parts = field.split(separator: "=", maxSplits: 1)
            if parts.count == 2, let port = parts[1].split(separator: ":").last.flatMap({ Int($0) }) { ports[String(parts[0])] = port }
        }
        guard let line, ports["ssh"] != nil else {
            process.terminate()
            let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            throw TestFailure("the daemon did not become ready: \(log)")
        }
        return DaemonProcess(process: process, ports: ports, readyLine: line, logPath: logPath)
    }

    /// Runs `body` with a started daemon and always stops it afterwards; throws when the
    /// daemon then exits with a non-zero status.
    package static func with<T>(
        executable: String = OpenrukoBinary.path, subcommand: [String] = ["daemon"], dataDir: String, arguments: [String] = [],
        _ body: (DaemonProcess) async throws -> T
    ) async throws -> T {
        let daemon = try await start(executable: executable, subcommand: subcommand, dataDir: dataDir, arguments: arguments)
        let result: T
        do {
            result = try await body(daemon)
        } catch {
            _ = await daemon.stop()
            throw error
        }
        // A daemon that does not stop cleanly (a crash at shutdown) fails the test.
        let status = await daemon.stop()
        guard status == 0 else { throw TestFailure("the daemon exited with status \(status) when stopped; its log:\n\(daemon.log)") }
        return result
    }

    /// Sends SIGTERM and waits for the daemon to exit (SIGKILL after 30 s).
    /// - Returns: its exit status.
    @discardableResult
    package func stop() async -> Int32 {
        guard process.isRunning else { return process.terminationStatus }
        Glibc.kill(pid, SIGTERM)
        let process = self.process
        return await withCheckedContinuation { continuation in
            Thread {
                let deadline = Date().addingTimeInterval(30)
                while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
                if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
                process.waitUntilExit()
                continuation.resume(returning: process.terminationStatus)
            }.start()
        }
    }

    /// Sends SIGKILL (a crash: nothing is cleaned up) and waits for the daemon to exit.
    package func kill() async {
        guard process.isRunning else { return }
        Glibc.kill(pid, SIGKILL)
        let process = self.process
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread {
                process.waitUntilExit()
                continuation.resume()
            }.start()
        }
    }

    /// Whether the daemon still runs.
    package var isRunning: Bool { process.isRunning }

    /// The daemon's log so far.
    package var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
}
