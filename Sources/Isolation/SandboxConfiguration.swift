/// What one sandboxed command sees and may do: a private writable `/app` and `/tmp`, a stack
/// image (or the host's `/usr` and a few `/etc` files) read-only, and only the directories
/// it is handed.
/// Used for builds (each step of a build shares its `/app` and `/tmp` directories) and for
/// dynos (a throw-away `/app` holding the extracted slug).
package struct SandboxConfiguration: Sendable, Hashable {
    /// A private directory of the sandbox (`/app`, `/tmp`).
    package enum Scratch: Sendable, Hashable {
        /// An empty tmpfs, gone when the command ends.
        case tmpfs
        /// A host directory owned by the sandbox user, bound writable (survives the command).
        case directory(String)
    }

    /// A host directory or file made visible inside the sandbox.
    package struct Bind: Sendable, Hashable {
        /// Host path.
        package var source: String
        /// Path inside the sandbox.
        package var target: String
        package var writable: Bool

        package init(_ source: String, at target: String, writable: Bool = false) {
            self.source = source
            self.target = target
            self.writable = writable
        }
    }

    /// The command and its arguments (`argv[0]` is resolved inside the sandbox).
    package var command: [String]
    /// The complete environment of the command (nothing is inherited from the host).
    package var environment: [String: String]
    /// The working directory inside the sandbox.
    package var workingDirectory: String
    /// What `/app` is.
    package var app: Scratch
    /// What `/tmp` is.
    package var tmp: Scratch
    /// Extra directories, in order (later binds may nest inside earlier ones or `/tmp`).
    package var binds: [Bind]
    /// Whether the command has a network (builds download, dynos listen): its own namespace
    /// (`networkNamespace`, or one leased for the run when the sandbox has a `SandboxNetwork`),
    /// else the host's. Without it the command has only a loopback of its own.
    package var network: Bool
    /// A prepared network namespace (`/run/netns/NAME`) to run in, e.g. a dyno's lease.
    package var networkNamespace: String?
    /// The port the command listens on that the host reaches on its own `127.0.0.1` (a dyno's
    /// `$PORT` under pasta, `UserNetwork`); a kernel namespace is reached at its address.
    package var publishedPort: Int?
    /// The `cgroup.procs` files of a cgroup (`ProcessCgroup.procsFiles`) the sandbox joins
    /// before anything of it runs (a dyno's limits).
    package var cgroupProcs: [String] = []
    /// The size limit of the tmpfs scratch directories, in bytes (nil: the kernel's default).
    package var tmpfsSize: UInt64?
    /// The command's `oom_score_adj` (-1000…1000), set by its launcher: a build's sandboxes
    /// score above their supervisor, so in the build's cgroup the kernel kills them first.
    package var oomScoreAdjust = 0
    /// The sandbox's host name.
    package var hostname: String
    /// Wall-clock limit; when it passes the sandbox is terminated as a group.
    package var timeLimit: Duration?
    /// Between SIGTERM to every process of the sandbox and SIGKILL.
    package var gracePeriod: Duration
    /// A host file openruko opens (with its own rights) and hands to the command as stdin.
    package var input: String?
    /// A container image's root filesystem (a writable host directory owned by the sandbox
    /// user) to run in as `/`, instead of the host's `/usr` and the `/app` and `/tmp` scratch
    /// directories: only `/proc`, `/dev` and the host's resolver files are added to it.
    package var rootFilesystem: String?
    /// A stack image's root filesystem (root's, on the host) to run on as `/`, read-only,
    /// instead of the host's `/usr` and `/etc` files: only the host's `resolv.conf` and the
    /// sandbox's `hosts`, `passwd` and `group` are added, with `/app`, `/tmp` and the binds as
    /// usual. Nil: the legacy stack (the host's `/usr`). `rootFilesystem` takes precedence.
    package var stack: String?
    /// The uid (and gid) the command sees itself as inside the sandbox; its files appear owned
    /// by it. Nil: the sandbox user's own. On the host it is always the sandbox user.
    package var userID: UInt32?
    package var groupID: UInt32?
    /// Who runs the sandbox on the host (the app's own identity); nil: the sandbox's default.
    package var identity: SandboxIdentity?

    package init(
        command: [String], environment: [String: String] = [:], workingDirectory: String = "/app", app: Scratch = .tmpfs,
        tmp: Scratch = .tmpfs, binds: [Bind] = [], network: Bool = true, hostname: String = "openruko",
        timeLimit: Duration? = nil, gracePeriod: Duration = .seconds(30), input: String? = nil, rootFilesystem: String? = nil,
        userID: UInt32? = nil, groupID: UInt32? = nil, identity: SandboxIdentity? = nil, networkNamespace: String? = nil
    ) {
        self.networkNamespace = networkNamespace
        self.identity = identity
        self.input = input
        self.rootFilesystem = rootFilesystem
        self.userID = userID
        self.groupID = groupID
        self.command = command
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.app = app
        self.tmp = tmp
        self.binds = binds
        self.network = network
        self.hostname = hostname
        self.timeLimit = timeLimit
        self.gracePeriod = gracePeriod
    }

    /// The `PATH` of builds and dynos (Heroku's).
    package static let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
}

/// How a sandboxed command ended.
package struct SandboxResult: Sendable, Hashable {
    /// The exit status of the command, or the signal that killed it.
    package enum Termination: Sendable, Hashable {
        case exited(Int32)
        case signaled(Int32)
    }

    package var termination: Termination
    /// Whether the wall-clock limit ended it.
    package var timedOut: Bool

    package init(termination: Termination, timedOut: Bool) {
        self.termination = termination
        self.timedOut = timedOut
    }

    /// Exited 0 within the limit.
    package var succeeded: Bool { termination == .exited(0) && !timedOut }

    /// `exit status 1`, `signal 9`, `timed out`.
    package var summary: String {
        if timedOut { return "timed out" }
        switch termination {
        case .exited(let code): return "exit status \(code)"
        case .signaled(let signal): return "signal \(signal)"
        }
    }
}
