package import Foundation
package import OpenrukoCore
import Subprocess
import SystemPackage
import Synchronization

/// Runs commands under bubblewrap as an unprivileged user (see `SandboxIdentity`): new
/// user, PID, IPC, UTS and cgroup namespaces, a stack image as `/` (or, for the legacy
/// stack, the host's `/usr`) read-only, a private `/app`
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
    /// Namespaces for commands with a network (openruko as root); nil: they share the host's,
    /// or get one from `userNetwork`.
    package let network: SandboxNetwork?
    /// A pasta per command with a network (openruko unprivileged, `/dev/net/tun` usable).
    package let userNetwork: UserNetwork?
    /// util-linux's setpriv, used to drop to the sandbox user when openruko is root.
    let setpriv = "/usr/bin/setpriv"
    /// Where the sandbox's account files and pending environments live.
    let stateDirectory: String
    /// Where each run's environment waits (0600, root's) until its launcher has opened it.
    let environmentDirectory: String
    /// The whole environment of every host process openruko starts for a sandbox (shell,
    /// setpriv, bubblewrap): fixed, so no app value (`LD_PRELOAD`…) ever reaches one of them.
    package static let hostEnvironment = ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"]

    /// `hostEnvironment` as swift-subprocess takes it.
    static let hostSubprocessEnvironment: [Environment.Key: String] = Dictionary(
        uniqueKeysWithValues: hostEnvironment.compactMap { key, value in Environment.Key(rawValue: key).map { ($0, value) } })

    /// `/etc` entries the sandbox sees read-only when the host has them.
    static let etcEntries = [
        "resolv.conf", "host.conf", "nsswitch.conf", "gai.conf", "services", "protocols", "ssl", "ca-certificates",
        "ca-certificates.conf", "alternatives", "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "timezone",
        "mime.types", "os-release", "debian_version", "pip.conf", "npmrc", "gitconfig", "python3", "python3.11", "python3.12",
        "bash.bashrc", "profile", "inputrc", "magic", "magic.mime", "subversion", "nodejs",
    ]

    /// Prepares the sandbox's own `/etc/passwd` and `/etc/group` (naming its user `dyno`)
    /// under `stateDirectory`.
    /// - Throws: `OpenrukoError` when bubblewrap is missing or the files cannot be written.
    package init(
        stateDirectory: String, identity: SandboxIdentity? = nil, bubblewrap: String = "/usr/bin/bwrap",
        network: SandboxNetwork? = nil, userNetwork: UserNetwork? = nil
    ) throws(OpenrukoError) {
        self.network = network
        self.userNetwork = network == nil ? userNetwork : nil
        let identity = if let identity { identity } else { try SandboxIdentity.current() }
        guard FileManager.default.isExecutableFile(atPath: bubblewrap) else {
            throw OpenrukoError(.unavailable, "bubblewrap (\(bubblewrap)) is not installed; run scripts/install-deps.")
        }
        if let (path, mode) = identity.unreachableDirectory(on: stateDirectory) {
            throw OpenrukoError(
                .unavailable,
                "The sandbox user (uid \(identity.uid)) cannot enter \(path) (mode \(String(mode, radix: 8))), which holds "
                    + "the data directory: builds and dynos would fail. Make it searchable (chmod o+x \(path)) or choose "
                    + "a data directory it can reach (--data-dir /var/lib/openruko).")
        }
        self.identity = identity
        self.bubblewrap = bubblewrap
        self.stateDirectory = stateDirectory
        environmentDirectory = stateDirectory + "/environment"
        do {
            try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
            chmod(stateDirectory, 0o711)
            try FileManager.default.createDirectory(atPath: environmentDirectory, withIntermediateDirectories: true)
            chmod(environmentDirectory, 0o700)
        } catch {
            throw OpenrukoError(.internal, "Cannot prepare the sandbox files in \(stateDirectory): \(error.localizedDescription)")
        }
        try writeAccountFiles(identity)
    }

    /// The sandbox's `/etc/passwd` and `/etc/group` for `identity` (its user is `dyno`).
    func accountFiles(_ identity: SandboxIdentity) -> (passwd: String, group: String) {
        (stateDirectory + "/passwd-\(identity.uid)", stateDirectory + "/group-\(identity.uid)")
    }

    /// Writes `accountFiles(identity)` unless they already hold the right text.
    func writeAccountFiles(_ identity: SandboxIdentity) throws(OpenrukoError) {
        let passwd = "root:x:0:0:root:/root:/usr/sbin/nologin\ndyno:x:\(identity.uid):\(identity.gid):openruko sandbox:/app:/bin/bash\n"
            + "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
        let group = "root:x:0:\ndyno:x:\(identity.gid):\nnogroup:x:65534:\n"
        let files = accountFiles(identity)
        try Self.writeReadable(passwd, to: files.passwd)
        try Self.writeReadable(group, to: files.group)
    }

    /// Writes `text` to `path` (world-readable: bubblewrap reads it as the app's user) unless
    /// the file already holds it.
    static func writeReadable(_ text: String, to path: String) throws(OpenrukoError) {
        guard (try? String(contentsOfFile: path, encoding: .utf8)) != text else { return }
        do {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            chmod(path, 0o644)
        } catch {
            throw OpenrukoError(.internal, "Cannot write the sandbox file \(path): \(error.localizedDescription)")
        }
    }

    /// The bubblewrap arguments for `configuration` (everything before the command).
    func arguments(_ configuration: SandboxConfiguration) -> [String] {
        var args = ["--die-with-parent", "--unshare-all", "--hostname", configuration.hostname]
        if configuration.network { args.append("--share-net") }
        if let uid = configuration.userID { args += ["--uid", String(uid), "--gid", String(configuration.groupID ?? uid)] }
        if pasta(for: configuration) != nil { args += userNamespaceArguments(configuration) }
        if let root = configuration.rootFilesystem {
            return args + imageArguments(root: root, configuration)
        }
        if let stack = configuration.stack {
            args += ["--ro-bind", stack, "/"]
            if FileManager.default.fileExists(atPath: "/etc/resolv.conf") {
                args += ["--ro-bind", "/etc/resolv.conf", "/etc/resolv.conf"]
            }
        } else {
            args += hostSystemArguments()
        }
        args += ["--ro-bind", hostsFile(configuration.hostname), "/etc/hosts"]
        let files = accountFiles(configuration.identity ?? identity)
        args += ["--ro-bind", files.passwd, "/etc/passwd", "--ro-bind", files.group, "/etc/group"]
        args += ["--proc", "/proc", "--dev", "/dev"]
        for (scratch, target) in [(configuration.tmp, "/tmp"), (configuration.app, "/app")] {
            switch scratch {
            case .tmpfs:
                if let size = configuration.tmpfsSize { args += ["--size", String(size)] }
                args += ["--tmpfs", target]
            case .directory(let path): args += ["--bind", path, target]
            }
        }
        for bind in configuration.binds {
            args += [bind.writable ? "--bind" : "--ro-bind", bind.source, bind.target]
        }
        args += ["--chdir", configuration.workingDirectory, "--"]
        return args
    }

    /// The legacy stack: the host's `/usr` (and `/bin`, `/lib`…) and `etcEntries`, read-only.
    func hostSystemArguments() -> [String] {
        var args = ["--ro-bind", "/usr", "/usr"]
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
        return args
    }

    /// The filesystem of a sandbox whose `/` is a container image's root filesystem.
    func imageArguments(root: String, _ configuration: SandboxConfiguration) -> [String] {
        var args = ["--bind", root, "/", "--proc", "/proc", "--dev", "/dev"]
        if FileManager.default.fileExists(atPath: "/etc/resolv.conf") {
            args += ["--ro-bind", "/etc/resolv.conf", "/etc/resolv.conf"]
        }
        args += ["--ro-bind", hostsFile(configuration.hostname), "/etc/hosts"]
        for bind in configuration.binds {
            args += [bind.writable ? "--bind" : "--ro-bind", bind.source, bind.target]
        }
        return args + ["--chdir", configuration.workingDirectory, "--"]
    }

    /// Runs one command and waits for it (and every process it started) to end. A command
    /// with a network and no namespace of its own gets one for the run (see `network`).
    /// - Parameters:
    ///   - started: receives bubblewrap's pid once it runs (for `signal(_:_:)`).
    ///   - input: the command's stdin as it arrives (an attached one-off dyno), instead of
    ///     `configuration.input`; stdin closes when it finishes.
    ///   - output: receives stdout and stderr, merged, as raw chunks in order (the command
    ///     waits while it is suspended).
    /// - Throws: `OpenrukoError.unavailable` when bubblewrap cannot be started, the input
    ///   file cannot be opened or no network namespace can be made.
    package func run(
        _ configuration: SandboxConfiguration, input: ByteChannel? = nil, started: (@Sendable (Int32) -> Void)? = nil,
        output: @escaping @Sendable (Data) async -> Void
    ) async throws(OpenrukoError) -> SandboxResult {
        guard configuration.network, configuration.networkNamespace == nil, let network else {
            return try await launch(configuration, stream: input, started: started, output: output)
        }
        let lease = try await network.lease()
        var leased = configuration
        leased.networkNamespace = lease.path
        do {
            let result = try await launch(leased, stream: input, started: started, output: output)
            await network.release(lease)
            return result
        } catch {
            await network.release(lease)
            throw error
        }
    }

    /// `run(_:started:output:)` once the network is settled.
    private func launch(
        _ configuration: SandboxConfiguration, stream: ByteChannel?, started: (@Sendable (Int32) -> Void)?,
        output: @escaping @Sendable (Data) async -> Void
    ) async throws(OpenrukoError) -> SandboxResult {
        var options = PlatformOptions()
        options.createSession = true
        // Dropping to the sandbox user goes through setpriv(1), which then execs bubblewrap
        // (so bubblewrap stays our child): swift-subprocess's own uid/gid switch calls
        // setgroups() in a forked child, which can hang on glibc's thread bookkeeping.
        let identity = configuration.identity ?? self.identity
        if identity != self.identity { try writeAccountFiles(identity) }
        var dropUser: [String] =
            identity.switchesUser
            ? [setpriv, "--reuid=\(identity.uid)", "--regid=\(identity.gid)", "--clear-groups", "--", bubblewrap] : [bubblewrap]
        if configuration.network, let namespace = configuration.networkNamespace {
            dropUser = ["/usr/bin/nsenter", "--net=" + namespace, "--"] + dropUser
        }
        let userMode = pasta(for: configuration)
        let pidFile = userMode?.pidFile()
        if let userMode, let pidFile {
            userMode.createDirectory()
            dropUser = userMode.command(publishing: configuration.publishedPort, allowed: userMode.allowedPorts(), pidFile: pidFile) + dropUser
        }
        // A pasta that outlived its command (or failed and stayed behind) goes with the run.
        defer { if let userMode, let pidFile { userMode.stop(pidFile: pidFile) } }
        // The app's variables reach only the sandboxed command: bubblewrap reads them from fd 3
        // (`--args`), a file the host shell opens and unlinks before anything else runs. Every
        // host process keeps `hostEnvironment`, and no value shows in a command line.
        let environmentFile = environmentDirectory + "/" + UUID().uuidString
        try Self.writeEnvironment(configuration.environment, to: environmentFile)
        defer { unlink(environmentFile) }
        try writeHostsFile(configuration.hostname)
        // A dyno instance's name is its own; shared names ("build") keep their file.
        defer { if UUID(uuidString: configuration.hostname) != nil { unlink(hostsFile(configuration.hostname)) } }
        let environment = Self.hostSubprocessEnvironment
        // The launcher sets the OOM score (as root: with CAP_SYS_RESOURCE the app cannot lower
        // it again) and joins the sandbox's cgroup, before anything of the app runs; the
        // sandboxed command gets the usual umask 022 (openruko itself runs with 077).
        let script = #"exec 3<"$0" && rm -f "$0" || exit 1; echo "$1" 2>/dev/null >/proc/self/oom_score_adj; shift; while [ "$1" != -- ]; do echo $$ >"$1" || exit 1; shift; done; shift; umask 022 && exec "$@""#
        let score = String(min(1000, max(-1000, configuration.oomScoreAdjust)))
        let launcher = ["/bin/sh", "-c", script, environmentFile, score] + configuration.cgroupProcs + ["--"] + dropUser
        let subprocess = Configuration(
            executable: .path(FilePath(launcher[0])),
            arguments: Arguments(Array(launcher.dropFirst()) + ["--args", "3"] + arguments(configuration) + configuration.command),
            environment: .custom(environment), workingDirectory: FilePath("/"), platformOptions: options)
        let watch = SandboxWatch()
        let grace = configuration.gracePeriod
        var input = stream.map(InputFile.stream) ?? .none
        if stream == nil, let path = configuration.input {
            do {
                input = .file(try FileDescriptor.open(FilePath(path), .readOnly))
            } catch {
                throw OpenrukoError(.unavailable, "Cannot open \(path) for the sandbox: \(error)")
            }
        }
        let body: (Int32, SubprocessOutputSequence) async throws -> Void = { spawned, stream in
            // Under pasta, the sandbox is bubblewrap, pasta's child (signals go to it and below).
            let pid: Int32
            if userMode != nil { pid = await Self.bubblewrap(under: spawned) } else { pid = spawned }
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
                await output(data)
            }
        }
        do {
            let status = try await withTaskCancellationHandler {
                switch input {
                case .none: try await Self.spawn(subprocess, input: .none as NoInput, body: body)
                case .file(let fd): try await Self.spawn(subprocess, input: .fileDescriptor(fd, closeAfterSpawningProcess: true), body: body)
                case .stream(let channel): try await Self.spawn(subprocess, feeding: channel, body: body)
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

    /// The sandbox's `/etc/hosts`: the host's, plus its own host name (as on Heroku, so
    /// `getfqdn()`, which Python's `http.server` calls, never waits for DNS).
    func hostsFile(_ hostname: String) -> String {
        stateDirectory + "/hosts-" + hostname
    }

    /// Writes `hostsFile(hostname)`: the host's `/etc/hosts` and the sandbox's own name.
    func writeHostsFile(_ hostname: String) throws(OpenrukoError) {
        let host = (try? String(contentsOfFile: "/etc/hosts", encoding: .utf8)) ?? "127.0.0.1\tlocalhost\n"
        try Self.writeReadable(host + (host.hasSuffix("\n") ? "" : "\n") + "127.0.1.1\t\(hostname)\n", to: hostsFile(hostname))
    }

    /// Writes `environment` as bubblewrap arguments (`--clearenv`, then `--setenv K V` each),
    /// NUL-separated, to a new 0600 file. Entries holding a NUL or a bad name are left out.
    static func writeEnvironment(_ environment: [String: String], to path: String) throws(OpenrukoError) {
        var words = ["--clearenv"]
        for (key, value) in environment.sorted(by: { $0.key < $1.key })
        where !key.isEmpty && !key.contains("=") && !key.contains("\0") && !value.contains("\0") {
            words += ["--setenv", key, value]
        }
        let bytes = Array(words.map { $0 + "\0" }.joined().utf8)
        do {
            let fd = try FileDescriptor.open(
                FilePath(path), .writeOnly, options: [.create, .exclusiveCreate, .noFollow, .closeOnExec],
                permissions: [.ownerReadWrite])
            _ = try fd.closeAfter { try fd.writeAll(bytes) }
        } catch {
            throw OpenrukoError(.internal, "Cannot write the sandbox environment \(path): \(error)")
        }
    }

    /// Runs `configuration` with `input` on stdin and stdout+stderr merged into one stream.
    static func spawn<Input: InputProtocol>(
        _ configuration: Configuration, input: Input, body: (Int32, SubprocessOutputSequence) async throws -> Void
    ) async throws -> TerminationStatus {
        try await Subprocess.run(configuration, input: input, output: .sequence, error: .combinedWithOutput) { execution in
            try await body(execution.processIdentifier.value, execution.standardOutput)
        }.terminationStatus
    }

    /// Runs `configuration` with stdin fed from `channel` (closed when it finishes, or once
    /// the output has ended) and stdout+stderr merged into one stream.
    static func spawn(
        _ configuration: Configuration, feeding channel: ByteChannel, body: (Int32, SubprocessOutputSequence) async throws -> Void
    ) async throws -> TerminationStatus {
        try await Subprocess.run(configuration, input: .inputWriter, output: .sequence, error: .combinedWithOutput) { execution in
            let writer = execution.standardInputWriter
            let feeder = Task {
                while let chunk = await channel.next() {
                    guard (try? await writer.write(chunk)) != nil else { break }
                }
                try? await writer.finish()
            }
            defer { feeder.cancel() }
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
