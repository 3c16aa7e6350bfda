import Foundation

/// sshd on 127.0.0.1 with a config made of a few test lines plus the shipped snippet
/// (`etc/sshd-openruko.conf`, its user and paths substituted): OpenSSH mode's front end. It
/// runs daemonized (`-E` log file, `PidFile`): in the foreground it would close the
/// descriptor Foundation's Process watches, which then blocks reaping every other child.
/// sshd must run as root (it switches to the login user).
package final class ThrowawaySSHD: Sendable {
    package let port: Int
    private let logPath: String
    private let pidPath: String
    /// A root-owned directory holding the `AuthorizedKeysCommand` wrapper.
    private let commandDirectory: String

    /// sshd's log so far.
    package var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Starts sshd on `port` for `login`, its files in `directory`, openruko's data in `dataDir`.
    package init(directory: String, dataDir: String, login: String, port: Int) async throws {
        self.port = port
        logPath = directory + "/sshd.log"
        pidPath = directory + "/sshd.pid"
        let hostKey = directory + "/sshd_host_key"
        let made = try await ProcessRunner.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", hostKey])
        guard made.status == 0 else { throw TestFailure("ssh-keygen: \(made.stderr)") }
        let binary = URL(fileURLWithPath: OpenrukoBinary.path).resolvingSymlinksInPath().path
        // sshd runs an AuthorizedKeysCommand only from a root-owned path that nobody else can
        // write, all the way up (a checkout under /tmp fails that): a wrapper in /run that
        // execs this build's binary, as an installed /usr/local/bin/openruko would be.
        commandDirectory = "/run/openruko-test-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: commandDirectory, withIntermediateDirectories: false)
        chmod(commandDirectory, 0o755)
        let wrapper = commandDirectory + "/openruko"
        try "#!/bin/sh\nexec '\(binary)' \"$@\"\n".write(toFile: wrapper, atomically: true, encoding: .utf8)
        chmod(wrapper, 0o755)
        let snippet = try String(contentsOfFile: OpenrukoBinary.packageRoot + "/etc/sshd-openruko.conf", encoding: .utf8)
            .replacingOccurrences(of: "Match User git", with: "Match User \(login)")
            .replacingOccurrences(of: "AuthorizedKeysCommandUser git", with: "AuthorizedKeysCommandUser \(login)")
            .replacingOccurrences(of: "/usr/local/bin/openruko", with: wrapper)
            .replacingOccurrences(of: "/var/lib/openruko", with: dataDir)
        let config = """
            Port \(port)
            ListenAddress 127.0.0.1
            HostKey \(hostKey)
            PidFile \(pidPath)
            UsePAM no
            StrictModes no
            PermitRootLogin forced-commands-only
            LogLevel VERBOSE

            """ + snippet
        let configPath = directory + "/sshd_config"
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
        let check = try await ProcessRunner.run("/usr/sbin/sshd", ["-t", "-f", configPath])
        guard check.status == 0 else { throw TestFailure("sshd -t: \(check.stderr)") }
        let started = try await ProcessRunner.run("/usr/sbin/sshd", ["-f", configPath, "-E", logPath])
        guard started.status == 0 else { throw TestFailure("sshd: \(started.stderr)") }
        let deadline = Date().addingTimeInterval(10)
        while !log.contains("Server listening on") {
            guard Date() < deadline else { throw TestFailure("sshd did not start: \(log)") }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Stops sshd (sessions it started end with their clients) and removes the wrapper.
    package func stop() {
        if let text = try? String(contentsOfFile: pidPath, encoding: .utf8), let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
            kill(pid, SIGTERM)
        }
        try? FileManager.default.removeItem(atPath: commandDirectory)
    }
}
