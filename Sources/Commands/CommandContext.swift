package import OpenrukoCore
package import Platform

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

    package init(platform: Platform, principal: Principal, io: any CommandIO, logs: (any LogReader)? = nil) {
        self.platform = platform
        self.principal = principal
        self.io = io
        self.logs = logs
    }

    /// Writes a line to stdout.
    func say(_ line: String = "") { io.write(line + "\n") }
}
