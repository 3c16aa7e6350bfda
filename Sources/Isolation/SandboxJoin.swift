package import Foundation
package import OpenrukoCore
import Subprocess
import SystemPackage

/// A process to start inside a running sandbox (`run:inside APP web.1 CMD`): joined into its
/// user, mount, PID, network, UTS, IPC and cgroup namespaces with util-linux `nsenter`, into
/// its cgroups (so its memory counts against the dyno's limit), as the sandbox's own user.
///
/// Nothing the tenant controls reaches a host process: the environment, the working
/// directory and the command travel in a 0600 script (the app user's) the host shell opens as
/// fd 3 and unlinks before anything runs; only the shell inside the sandbox reads it
/// (`. /dev/fd/3`). Every
/// host process (`sh`, `setpriv`, `nsenter`) keeps `Sandbox.hostEnvironment`, and their
/// command lines hold only numbers and fixed words.
///
/// ```swift
/// let join = SandboxJoin(bubblewrapPID: pid, command: ["/bin/bash", "-c", "…"], environment: env, workingDirectory: "/app")
/// let result = try await sandbox.join(join) { print($0) }
/// ```
package struct SandboxJoin: Sendable, Hashable {
    /// The running sandbox's bubblewrap (as `Sandbox.run`'s `started` reported it).
    package var bubblewrapPID: Int32
    /// The command, resolved inside the sandbox with `environment`'s `PATH`.
    package var command: [String]
    /// The process's complete environment (names that are not shell names are left out).
    package var environment: [String: String]
    package var workingDirectory: String
    /// The `cgroup.procs` files of the sandbox's cgroups (`ProcessCgroup.procsFiles`).
    package var cgroupProcs: [String] = []
    /// Between SIGTERM and SIGKILL when the caller is cancelled.
    package var gracePeriod: Duration = .seconds(5)
    /// The host path of a FIFO (openruko's own, never the tenant's) the joined process gets
    /// open for reading as `resizeDescriptor`: its terminal's window changes.
    package var resizes: String?
    /// The descriptor `resizes` is open on in the joined process.
    package static let resizeDescriptor: Int32 = 4

    package init(bubblewrapPID: Int32, command: [String], environment: [String: String], workingDirectory: String) {
        self.bubblewrapPID = bubblewrapPID
        self.command = command
        self.environment = environment
        self.workingDirectory = workingDirectory
    }

    /// The script the joined shell sources: the environment (replacing the host's two
    /// variables), the working directory, then `exec` of the command. Every value is one
    /// single-quoted word.
    package var script: String {
        var lines = ["unset LANG PATH"]
        for (key, value) in environment.sorted(by: { $0.key < $1.key }) where Self.isShellName(key) && !value.contains("\0") {
            lines.append("export \(key)=\(ShellWord.quoted(value))")
        }
        lines.append("cd -- \(ShellWord.quoted(workingDirectory)) 2>/dev/null || cd /")
        lines.append("exec " + command.filter { !$0.contains("\0") }.map(ShellWord.quoted).joined(separator: " "))
        return lines.joined(separator: "\n") + "\n"
    }

    /// `[A-Za-z_][A-Za-z0-9_]*`.
    static func isShellName(_ name: String) -> Bool {
        guard let first = name.utf8.first, first == UInt8(ascii: "_") || (first | 0x20 >= UInt8(ascii: "a") && first | 0x20 <= UInt8(ascii: "z"))
        else { return false }
        return name.utf8.allSatisfy { byte in
            byte == UInt8(ascii: "_") || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "z"))
        }
    }


    /// The `nsenter` commands (ending with `--`) that put a process into the sandbox whose PID 1
    /// is `target`, as the sandbox's user; nil when it cannot be joined.
    ///
    /// As root: one nsenter into every namespace, switching to `uid`/`gid` (as seen inside).
    /// Not root, bubblewrap (with `--dev`) makes two user namespaces: one where it is root to
    /// set up the sandbox, which owns the sandbox's other namespaces, and the command's inside
    /// it. Joining those namespaces takes privileges in the first one, which no process keeps:
    /// only an ancestor's do. Under pasta, bubblewrap runs in pasta's user namespace, that
    /// ancestor: the process joins it first, then the sandbox's namespaces, its user namespace
    /// last, keeping openruko's own user (`--preserve-credentials`: bubblewrap maps it in, and a
    /// user namespace that denies `setgroups` refuses a switch). Without pasta there is none.
    static func nsenter(
        target: Int32, bubblewrap: Int32, uid: UInt32, gid: UInt32, switchesUser: Bool, bubblewrapInOwnUserNamespace: Bool
    ) -> [String]? {
        let namespaces = ["--user", "--mount", "--pid", "--net", "--uts", "--ipc", "--cgroup", "--root"]
        if switchesUser {
            return ["/usr/bin/nsenter", "--target", String(target)] + namespaces
                + ["--setuid", String(uid), "--setgid", String(gid), "--"]
        }
        guard !bubblewrapInOwnUserNamespace else { return nil }
        return ["/usr/bin/nsenter", "--target", String(bubblewrap), "--user", "--preserve-credentials", "--"]
            + ["/usr/bin/nsenter", "--target", String(target)] + namespaces + ["--preserve-credentials", "--"]
    }

    /// The id inside a user namespace that `outside` maps to, from `/proc/PID/uid_map` text
    /// (`INSIDE OUTSIDE COUNT` lines), or nil.
    static func insideID(_ outside: UInt32, map: String) -> UInt32? {
        for line in map.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true).compactMap { UInt64($0) }
            guard fields.count == 3 else { continue }
            if UInt64(outside) >= fields[1], UInt64(outside) < fields[1] + fields[2] { return UInt32(fields[0] + UInt64(outside) - fields[1]) }
        }
        return nil
    }
}

extension Sandbox {
    /// Runs `join`'s command inside its running sandbox and waits for it (and the processes
    /// it started there) to end.
    /// - Parameters:
    ///   - input: the command's stdin as it arrives; nil: none.
    ///   - started: receives the host pid of the joining process (signal its descendants).
    ///   - output: stdout and stderr, merged, as raw chunks in order.
    /// - Throws: `OpenrukoError.conflict` when the sandbox is not running, `unavailable` when
    ///   the process cannot be started.
    package func join(
        _ join: SandboxJoin, identity: SandboxIdentity, input: ByteChannel? = nil, started: (@Sendable (Int32) -> Void)? = nil,
        output: @escaping @Sendable (Data) async -> Void
    ) async throws(OpenrukoError) -> SandboxResult {
        // bubblewrap's child is the sandbox's PID 1, inside every namespace and its root.
        guard let target = ProcessTree.children(of: join.bubblewrapPID).min(),
            let uidMap = try? String(contentsOfFile: "/proc/\(target)/uid_map", encoding: .utf8),
            let gidMap = try? String(contentsOfFile: "/proc/\(target)/gid_map", encoding: .utf8),
            let uid = SandboxJoin.insideID(identity.uid, map: uidMap), let gid = SandboxJoin.insideID(identity.gid, map: gidMap)
        else {
            throw OpenrukoError(.conflict, "The dyno is not running (it may be restarting).", resource: "dyno")
        }
        let scriptFile = environmentDirectory + "/" + UUID().uuidString
        do {
            let fd = try FileDescriptor.open(
                FilePath(scriptFile), .writeOnly, options: [.create, .exclusiveCreate, .noFollow, .closeOnExec],
                permissions: [.ownerReadWrite])
            _ = try fd.closeAfter { try fd.writeAll(Array(join.script.utf8)) }
        } catch {
            throw OpenrukoError(.internal, "Cannot write \(scriptFile): \(error)")
        }
        defer { unlink(scriptFile) }
        // The joined shell reopens it through `/dev/fd/3` as the sandbox's user (its own values only).
        identity.own(scriptFile)
        // Root drops its supplementary groups; nothing joined may gain privileges (no setuid).
        let setprivOptions = identity.switchesUser ? ["--clear-groups", "--no-new-privs"] : ["--no-new-privs"]
        let userNamespace = { (pid: String) in try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/user") }
        let outerUserNamespace = userNamespace(String(join.bubblewrapPID))
        guard
            let nsenter = SandboxJoin.nsenter(
                target: target, bubblewrap: join.bubblewrapPID, uid: uid, gid: gid, switchesUser: identity.switchesUser,
                bubblewrapInOwnUserNamespace: outerUserNamespace == nil || outerUserNamespace == userNamespace("self"))
        else {
            throw OpenrukoError(
                .unavailable,
                "A running dyno can only be joined when openruko runs as root or runs its dynos under pasta (this openruko "
                    + "is not root and its dynos share the host's network: README, \"Network, unprivileged\"). "
                    + "`run` starts a one-off dyno instead.")
        }
        let enter = [setpriv] + setprivOptions + ["--"] + nsenter + ["/bin/sh", "-c", ". /dev/fd/3", "openruko-inside"]
        // Into the dyno's cgroups before nsenter runs (its child inherits them).
        // Then the window changes' FIFO, when there is one, as descriptor 4 (openruko holds it
        // open for writing: opening never blocks).
        let script =
            #"exec 3<"$0" && rm -f "$0" || exit 1; if [ -n "$1" ]; then exec \#(SandboxJoin.resizeDescriptor)<"$1" || exit 1; fi; shift; "#
            + #"while [ "$1" != -- ]; do echo $$ >"$1" || exit 1; shift; done; shift; exec "$@""#
        let launcher = ["/bin/sh", "-c", script, scriptFile, join.resizes ?? ""] + join.cgroupProcs + ["--"] + enter
        var options = PlatformOptions()
        options.createSession = true
        let subprocess = Configuration(
            executable: .path(FilePath(launcher[0])), arguments: Arguments(Array(launcher.dropFirst())),
            environment: .custom(Self.hostSubprocessEnvironment), workingDirectory: FilePath("/"), platformOptions: options)
        let watch = SandboxWatch()
        let grace = join.gracePeriod
        let body: (Int32, SubprocessOutputSequence) async throws -> Void = { pid, stream in
            watch.started(pid)
            started?(pid)
            for try await chunk in stream {
                await output(chunk.withUnsafeBytes { Data($0) })
            }
        }
        do {
            let status = try await withTaskCancellationHandler {
                if let input {
                    try await Self.spawn(subprocess, feeding: input, body: body)
                } else {
                    try await Self.spawn(subprocess, input: .none as NoInput, body: body)
                }
            } onCancel: {
                if let pid = watch.pid { Task.detached { await Self.terminateGroup(pid, grace: grace) } }
            }
            switch status {
            case .exited(let code): return SandboxResult(termination: .exited(code), timedOut: false)
            case .signaled(let signal): return SandboxResult(termination: .signaled(signal), timedOut: false)
            }
        } catch {
            throw OpenrukoError(.unavailable, "Could not join the dyno: \(error)")
        }
    }

    /// SIGTERM to the joined process group (nsenter leads its own session, and its child in
    /// the sandbox stays in it even when nsenter is gone), then SIGKILL after `grace`.
    static func terminateGroup(_ leader: Int32, grace: Duration) async {
        ProcessTree.signalDescendants(of: leader, SIGTERM)
        kill(-leader, SIGTERM)
        let deadline = ContinuousClock.now + grace
        while ContinuousClock.now < deadline, kill(-leader, 0) == 0 {
            try? await Task.sleep(for: .milliseconds(100))
        }
        ProcessTree.signalDescendants(of: leader, SIGKILL)
        kill(-leader, SIGKILL)
    }
}
