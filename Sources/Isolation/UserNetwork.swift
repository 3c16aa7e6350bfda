import Foundation
import SystemPackage

/// The networking of dynos and builds when openruko is not root: each sandboxed command runs
/// under its own pasta (Debian's `passt` package), which makes a user and a network namespace
/// for it and carries its outbound TCP, UDP and ICMP through the host's sockets. Nothing of the
/// host's is mapped in: no port the host listens on (`-T none -U none`), no gateway address
/// standing for the host's loopback (`--no-map-gw`); only the dyno's `$PORT` is forwarded from
/// the host's `127.0.0.1:$PORT`, where the router reaches it. Each pasta writes its pid to
/// `pasta-OWNER-ID.pid` in `directory`; `removeStale()` kills those of an owner that is gone.
///
/// ```swift
/// let detected = UserNetwork.detect(directory: layout.run + "/sandbox/pasta")
/// if let network = detected.network {
///     network.command(publishing: 5000, pidFile: network.pidFile()) + ["bwrap", …]
/// } else if let warning = detected.warning { logger.warning(warning) }
/// ```
package struct UserNetwork: Sendable, Hashable {
    /// The pasta executable.
    package let pasta: String
    /// Where the pid files live.
    package let directory: String

    /// Debian's pasta.
    package static let defaultPasta = "/usr/bin/pasta"

    package init(pasta: String = defaultPasta, directory: String) {
        self.pasta = pasta
        self.directory = directory
    }

    /// What the host offers: pasta for an unprivileged openruko, or the host's network with
    /// the reason why (nil for root, whose dynos get kernel networking).
    package struct Detection: Sendable, Hashable {
        package var network: UserNetwork?
        /// What the daemon logs when dynos share the host's network.
        package var warning: String?
    }

    /// Probes the host (root? pasta installed? `/dev/net/tun` openable?) and decides.
    package static func detect(
        directory: String, pasta: String = defaultPasta, environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> Detection {
        let isRoot = geteuid() == 0
        let setting = environment["OPENRUKO_DYNO_NETWORK"]
        // Only probe what the decision needs (no device is opened for root or `host`).
        let probe = !isRoot && setting != "host"
        let installed = probe && FileManager.default.isExecutableFile(atPath: pasta)
        return decide(
            isRoot: isRoot, setting: setting, pastaInstalled: installed, tunError: installed ? tunError() : nil, pasta: pasta,
            directory: directory)
    }

    /// The decision of `detect`, from what it found.
    /// - Parameter tunError: why `/dev/net/tun` cannot be opened for reading and writing, or nil.
    static func decide(
        isRoot: Bool, setting: String?, pastaInstalled: Bool, tunError: String?, pasta: String, directory: String
    ) -> Detection {
        if isRoot { return Detection(network: nil, warning: setting == "host" ? hostWarning("OPENRUKO_DYNO_NETWORK=host") : nil) }
        if setting == "host" { return Detection(network: nil, warning: hostWarning("OPENRUKO_DYNO_NETWORK=host")) }
        guard pastaInstalled else {
            return Detection(
                network: nil,
                warning: hostWarning("openruko is not root and pasta (\(pasta)) is not installed: install Debian's passt package (scripts/install-deps)"))
        }
        if let tunError {
            return Detection(
                network: nil,
                warning: hostWarning(
                    "openruko is not root and cannot open /dev/net/tun (\(tunError)), which pasta needs: make it usable by "
                        + "the openruko user (mode 0666, Debian's default: chmod 0666 /dev/net/tun)"))
        }
        return Detection(network: UserNetwork(pasta: pasta, directory: directory), warning: nil)
    }

    static func hostWarning(_ reason: String) -> String {
        "Dynos and builds share the host's network (they reach its loopback services and each other): \(reason) (README, \"Network\")."
    }

    /// Why `/dev/net/tun` cannot be opened by this process, or nil when it can.
    static func tunError() -> String? {
        do {
            try FileDescriptor.open("/dev/net/tun", .readWrite, options: [.closeOnExec]).close()
            return nil
        } catch {
            return "\(error)"
        }
    }

    /// The command that runs what follows it under a new pasta: killed with its parent (a
    /// daemon killed with `kill -9`), quiet (its errors go to the command's output), in the
    /// foreground, with only `port` (when given) forwarded in from the host's `127.0.0.1:port`,
    /// only the `allowed` ports of its loopback forwarded out to the host's, and its pid written
    /// to `pidFile`. What follows starts with only descriptors 0 to 3: pasta hands its child
    /// its own listening sockets (the host's `127.0.0.1:port`), which stay with pasta.
    package func command(publishing port: Int?, allowed: [Int] = [], pidFile: String) -> [String] {
        let out = allowed.isEmpty ? "none" : Set(allowed).sorted().map(String.init).joined(separator: ",")
        return [
            "/usr/bin/setpriv", "--pdeathsig", "KILL", "--", pasta, "--config-net", "--foreground", "--quiet",
            "--tcp-ns", out, "--udp-ns", "none", "--no-map-gw", "--tcp-ports", port.map { "127.0.0.1/\($0):\($0)" } ?? "none",
            "--udp-ports", "none", "--pid", pidFile, "--", "/bin/bash", "-c", Self.closeDescriptors, "openruko-pasta-child",
        ]
    }

    /// Closes every descriptor above 3 (bubblewrap reads its arguments from 3), then runs the
    /// rest of its command line.
    /// (`ls` lists them: pasta's child cannot read its own `/proc/PID/fd` until it execs.)
    static let closeDescriptors = #"for fd in $(ls /proc/self/fd); do [ "$fd" -gt 3 ] && eval "exec $fd<&-"; done; exec "$@""#

    /// Lets dynos and builds started from now on reach the TCP service on the host's
    /// `127.0.0.1:port` at the same port of their own loopback (an add-on server, a service of
    /// `OPENRUKO_DYNO_ALLOW`): a file `allow-PORT` in `directory`, which every process of the
    /// data directory (daemon, git hooks) reads when it starts a pasta.
    package func allow(port: Int) {
        createDirectory()
        _ = FileManager.default.createFile(atPath: directory + "/allow-\(port)", contents: nil)
    }

    /// Takes back `allow(port:)` (a destroyed add-on: its port may later be another service's).
    package func disallow(port: Int) { unlink(directory + "/allow-\(port)") }

    /// Takes back every allowed port (a daemon that starts lists them again).
    package func disallowAll() {
        for port in allowedPorts() { disallow(port: port) }
    }

    /// The allowed ports.
    package func allowedPorts() -> [Int] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).compactMap(Self.allowedPort).sorted()
    }

    /// The port of an `allow-PORT` file name, or nil.
    static func allowedPort(_ name: String) -> Int? {
        guard name.hasPrefix("allow-"), let port = Int(name.dropFirst("allow-".count)), (1...65535).contains(port) else { return nil }
        return port
    }

    /// The user network of a data directory's processes when openruko is not root (allowed
    /// ports are recorded whether or not pasta runs: they cost nothing unused).
    package static func ofDataDirectory(run: String) -> UserNetwork? {
        geteuid() == 0 ? nil : UserNetwork(directory: Sandbox.pastaDirectory(run + "/sandbox"))
    }

    /// The bubblewrap arguments of a sandbox started inside pasta's user namespace, where
    /// bubblewrap runs as that namespace's root: a user namespace of its own as `uid`/`gid`
    /// (nil: the configuration names its own), and no capability, as an unprivileged
    /// bubblewrap would give.
    static func bubblewrapArguments(uid: UInt32?, gid: UInt32?) -> [String] {
        var args = ["--unshare-user", "--cap-drop", "ALL"]
        if let uid, let gid { args += ["--uid", String(uid), "--gid", String(gid)] }
        return args
    }

    /// A new pid file name for a pasta started by this process.
    package func pidFile() -> String {
        directory + "/pasta-\(getpid())-\(UUID().uuidString.lowercased()).pid"
    }

    /// The owner's pid named in a pid file's path (`…/pasta-OWNER-ID.pid`), or nil.
    static func owner(ofPidFile path: String) -> pid_t? {
        let name = path.split(separator: "/").last ?? ""
        guard name.hasPrefix("pasta-"), name.hasSuffix(".pid") else { return nil }
        return name.dropFirst("pasta-".count).split(separator: "-").first.flatMap { pid_t($0) }
    }

    /// The pid file in a pasta's command line (what follows `--pid`), or nil.
    static func pidFile(inCommandLine arguments: [String]) -> String? {
        guard let at = arguments.firstIndex(of: "--pid"), at + 1 < arguments.count else { return nil }
        return arguments[at + 1]
    }

    /// Creates `directory` (the owner's only).
    func createDirectory() {
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        chmod(directory, 0o700)
    }
}
