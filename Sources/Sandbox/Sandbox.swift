package import Foundation
package import OpenrukoCore
import Subprocess
import SystemPackage
import Synchronization

/// Runs commands under bubblewrap as an unprivileged user (see `SandboxIdentity`): new
/// user, PID, IPC, UTS and cgroup namespaces, the host's `/usr` read-only, a private `/app`
/// and `/tmp`, `/proc` and `/dev` of its own, and nothing else of the host but the binds it
/// is handed and a few read-only `/etc` files (resolver, CA certificates, alternatives). It
/// never sees `DATA_DIR`, other apps or the daemon's files. The whole sandbox is one group:
/// when the limit passes or the caller is cancelled, every process in it gets SIGTERM, then
/// SIGKILL after the grace period; if openruko dies, the kernel kills the sandbox.
///
/// ```swift
/// let sandbox = try Sandbox(stateDirectory: layout.run + "/sandbox")
/// let result = try await sandbox.run(SandboxConfiguration(command: ["/bin/echo", "hi"])) { print($0) }
/// ```
package struct Sandbox: Sendable {
    /// Who the commands run as.
    package let identity: SandboxIdentity
    /// The bubblewrap executable.
    package let bubblewrap: String
    /// util-linux's setpriv, used to drop to the sandbox user when openruko is root.
    let setpriv = "/usr/bin/setpriv"
    let passwdFile: String
    let groupFile: String

    /// `/etc` entries the sandbox sees read-only when the host has them.
    static let etcEntries = [
        "resolv.conf", "hosts", "host.conf", "nsswitch.conf", "gai.conf", "services", "protocols", "ssl", "ca-certificates",
        "ca-certificates.conf", "alternatives", "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "timezone",
        "mime.types", "os-release", "debian_version", "pip.conf", "npmrc", "gitconfig", "python3", "python3.11", "python3.12",
        "bash.bashrc", "profile", "inputrc", "magic", "magic.mime", "subversion", "nodejs",
    ]

    /// Prepares the sandbox's own `/etc/passwd` and `/etc/group` (naming its user `dyno`)
    /// under `stateDirectory`.
    /// - Throws: `OpenrukoError` when bubblewrap is missing or the files cannot be written.
    package init(
        stateDirectory: String, identity: SandboxIdentity? = nil, bubblewrap: String = "/usr/bin/bwrap"
    ) throws(OpenrukoError) {
        let identity = if let identity { identity } else { try SandboxIdentity.current() }
        guard FileManager.default.isExecutableFile(atPath: bubblewrap) else {
            throw OpenrukoError(.unavailable, "bubblewrap (\(bubblewrap)) is not installed; run scripts/install-deps.")
        }
        self.identity = identity
        self.bubblewrap = bubblewrap
        passwdFile = stateDirectory + "/passwd"
        groupFile = stateDirectory + "/group"
        let passwd = "root:x:0:0:root:/root:/usr/sbin/nologin\ndyno:x:\(identity.uid):\(identity.gid):openruko sandbox:/app:/bin/bash\n"
            + "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
        let group = "root:x:0:\ndyno:x:\(identity.gid):\nnogroup:x:65534:\n"
        do {
            try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
            chmod(stateDirectory, 0o755)
            for (path, text) in [(passwdFile, passwd), (groupFile, group)]
            where (try? String(contentsOfFile: path, encoding: .utf8)) != text {
                try text.write(toFile: path, atomically: true, encoding: .utf8)
                chmod(path, 0o644)
            }
        } catch {
            throw OpenrukoError(.internal, "Cannot prepare the sandbox files in \(stateDirectory): \(error.localizedDescription)")
        }
    }

    /// The bubblewrap arguments for `configuration` (everything before the command).
    func arguments(_ configuration: SandboxConfiguration) -> [String] {
        var args = ["--die-with-parent", "--unshare-all", "--hostname", configuration.hostname]
        if configuration.network { args.append("--share-net") }
        args += ["--ro-bind", "/usr", "/usr"]
        for top in ["bin", "sbin", "lib", "lib32", "lib64", "libx32"] {
            let path = "/" + top
            if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) {
                args += ["--symlink", target, path]
            } else if FileManager.default.fileExists(atPath: path) {
                args += ["--ro-bind", path, path]
            }
        }
        for entry in Self.etcEntries where FileManager.default.fileExists(atPath: "/etc/" + entry) {
            args += ["--ro-bind", "/etc/" + entry, "/etc/" + entry]
        }
        args += ["--ro-bind", passwdFile, "/etc/passwd", "--ro-bind", groupFile, "/etc/group"]
        args += ["--proc", "/proc", "--dev", "/dev"]
        for (scratch, target) in [(configuration.tmp, "/tmp"), (configuration.app, "/app")] {
            switch scratch {
            case .tmpfs: args += ["--tmpfs", target]
            case .directory(let path): args += ["--bind", path, target]
            }
        }
        for bind in configuration.binds {
            args += [bind.writable ? "--bind" : "--ro-bind", bind.source, bind.target]
        }
        args += ["--chdir", configuration.workingDirectory, "--"]
        return args
    }

    /// Runs one command and waits for it (and every process it started) to end.
    /// - Parameters:
    ///   - started: receives bubblewrap's pid once it runs (for `signal(_:_:)`).
    ///   - output: receives stdout and stderr, merged, as raw chunks in order.
    /// - Throws: `OpenrukoError.unavailable` when bubblewrap cannot be started or the input
    ///   file cannot be opened.
    package func run(
        _ configuration: SandboxConfiguration, started: (@Sendable (Int32) -> Void)? = nil,
        output: @escaping @Sendable (Data) -> Void
    ) async throws(OpenrukoError) -> SandboxResult {
        var options = PlatformOptions()
        options.createSession = true
        // Dropping to the sandbox user goes through setpriv(1), which then execs bubblewrap
        // (so bubblewrap stays our child): swift-subprocess's own uid/gid switch calls
        // setgroups() in a forked child, which can hang on glibc's thread bookkeeping.
        let launcher: [String] =
            identity.switchesUser
            ? [setpriv, "--reuid=\(identity.uid)", "--regid=\(identity.gid)", "--clear-groups", "--", bubblewrap] : [bubblewrap]
        var environment: [Environment.Key: String] = [:]
        for (key, value) in configuration.environment {
            if let key = Environment.Key(rawValue: key) { environment[key] = value }
        }
        let subprocess = Configuration(
            executable: .path(FilePath(launcher[0])),
            arguments: Arguments(Array(launcher.dropFirst()) + arguments(configuration) + configuration.command),
            environment: .custom(environment), workingDirectory: FilePath("/"), platformOptions: options)
        let watch = SandboxWatch()
        let grace = configuration.gracePeriod
        var input = InputFile.none
        if let path = configuration.input {
            do {
                input = .file(try FileDescriptor.open(FilePath(path), .readOnly))
            } catch {
                throw OpenrukoError(.unavailable, "Cannot open \(path) for the sandbox: \(error)")
            }
        }
        let body: (Int32, SubprocessOutputSequence) async throws -> Void = { pid, stream in
            watch.started(pid)
            started?(pid)
            let timer: Task<Void, Never>? = configuration.timeLimit.map { limit in
                Task.detached {
                    try? await Task.sleep(for: limit)
                    guard !Task.isCancelled else { return }
                    watch.timedOut()
                    await Self.terminate(pid, grace: grace)
                }
            }
            defer { timer?.cancel() }
            for try await chunk in stream {
                let data = chunk.withUnsafeBytes { Data($0) }
                output(data)
            }
        }
        do {
            let status = try await withTaskCancellationHandler {
                switch input {
                case .none: try await Self.spawn(subprocess, input: .none as NoInput, body: body)
                case .file(let fd): try await Self.spawn(subprocess, input: .fileDescriptor(fd, closeAfterSpawningProcess: true), body: body)
                }
            } onCancel: {
                if let pid = watch.pid { Task.detached { await Self.terminate(pid, grace: grace) } }
            }
            let termination: SandboxResult.Termination =
                switch status {
                case .exited(let code): .exited(code)
                case .signaled(let signal): .signaled(signal)
                }
            return SandboxResult(termination: termination, timedOut: watch.didTimeOut)
        } catch {
            throw OpenrukoError(.unavailable, "Could not run the sandbox (\(bubblewrap)): \(error)")
        }
    }

    /// Runs `configuration` with `input` on stdin and stdout+stderr merged into one stream.
    private static func spawn<Input: InputProtocol>(
        _ configuration: Configuration, input: Input, body: (Int32, SubprocessOutputSequence) async throws -> Void
    ) async throws -> TerminationStatus {
        try await Subprocess.run(configuration, input: input, output: .sequence, error: .combinedWithOutput) { execution in
            try await body(execution.processIdentifier.value, execution.standardOutput)
        }.terminationStatus
    }

    /// Sends `signal` to every process of the sandbox whose bubblewrap runs as `bubblewrapPID`
    /// (bubblewrap itself stays; it ends when they do).
    package static func signal(_ bubblewrapPID: Int32, _ signal: Int32) {
        ProcessTree.signalDescendants(of: bubblewrapPID, signal)
    }

    /// Kills bubblewrap and everything under it at once (SIGKILL).
    package static func killAll(_ bubblewrapPID: Int32) {
        ProcessTree.signalDescendants(of: bubblewrapPID, SIGKILL)
        Glibc.kill(bubblewrapPID, SIGKILL)
    }

    /// SIGTERM to every process in the sandbox, then after `grace` SIGKILL to bubblewrap
    /// (whose death kills the sandbox's PID namespace) and to anything left.
    package static func terminate(_ bubblewrapPID: Int32, grace: Duration) async {
        ProcessTree.signalDescendants(of: bubblewrapPID, SIGTERM)
        let deadline = ContinuousClock.now + grace
        while ContinuousClock.now < deadline {
            if ProcessTree.descendants(of: bubblewrapPID).count <= 1 { break }
            try? await Task.sleep(for: .milliseconds(100))
        }
        ProcessTree.signalDescendants(of: bubblewrapPID, SIGKILL)
        kill(bubblewrapPID, SIGKILL)
    }
}

/// The standard input of a sandboxed command.
enum InputFile {
    case none
    case file(FileDescriptor)
}

/// What the run learned about its process, shared with the timer and the cancel handler.
final class SandboxWatch: Sendable {
    private let state = Mutex<(pid: pid_t?, timedOut: Bool)>((nil, false))

    func started(_ pid: pid_t) { state.withLock { $0.pid = pid } }
    func timedOut() { state.withLock { $0.timedOut = true } }
    var pid: pid_t? { state.withLock { $0.pid } }
    var didTimeOut: Bool { state.withLock { $0.timedOut } }
}
