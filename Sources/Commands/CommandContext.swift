package import OpenrukoCore
package import Operations

/// What a command runs with: the operations layer, who is acting, and its streams.
package struct CommandContext: Sendable {
    /// The operations layer.
    package let platform: Platform
    /// Who is acting (the key's user over SSH, the superuser for `openruko admin`).
    package let principal: Principal
    /// stdin, stdout, stderr.
    package let io: any CommandIO
    /// The log store, where this process has one.
    package let logs: (any LogReader)?
    /// The client's terminal when it asked for one (`ssh -t`): `run` gives the dyno a PTY.
    package let terminal: TerminalWindow?

    package init(
        platform: Platform, principal: Principal, io: any CommandIO, logs: (any LogReader)? = nil, terminal: TerminalWindow? = nil
    ) {
        self.platform = platform
        self.principal = principal
        self.io = io
        self.logs = logs
        self.terminal = terminal
    }

    /// Writes a line to stdout.
    func say(_ line: String = "") { io.write(line + "\n") }
}
