import Foundation

/// The real OpenSSH client, pointed at a test server with one key and no user config.
package struct SSHClient: Sendable {
    package var port: Int
    package var key: TestKey
    package var user = "git"
    package var host = "127.0.0.1"

    package init(port: Int, key: TestKey, user: String = "git") {
        self.port = port
        self.key = key
        self.user = user
    }

    /// Options that make ssh non-interactive and independent of ~/.ssh.
    package var options: [String] {
        [
            "-F", "/dev/null", "-p", String(port), "-i", key.privateKeyPath, "-o", "IdentitiesOnly=yes",
            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes",
            "-o", "LogLevel=ERROR",
        ]
    }

    /// `GIT_SSH_COMMAND` for git.
    package var gitSSHCommand: String { (["ssh"] + options).joined(separator: " ") }

    /// The environment for git commands that talk to the server.
    package var gitEnvironment: [String: String] { ["GIT_SSH_COMMAND": gitSSHCommand, "GIT_TERMINAL_PROMPT": "0"] }

    /// `ssh user@host COMMAND` with `input` on stdin.
    package func run(_ command: String, input: String = "", extra: [String] = []) async throws -> ProcessResult {
        try await ProcessRunner.run("/usr/bin/ssh", options + extra + ["\(user)@\(host)", command], input: Data(input.utf8))
    }

    /// The remote URL of an app.
    package func url(_ app: String) -> String { "ssh://\(user)@\(host):\(port)/\(app).git" }
}

/// Git repositories made with the real `git` for push tests.
package enum GitFixture {
    /// The smallest app a push deploys: a Procfile web process that answers on `$PORT`
    /// (pushes to `main` build and wait for their web dyno).
    package static let webApp = ["Procfile": "web: exec python3 -m http.server $PORT\n", "README": "hello\n"]

    /// A repository in `directory` with one commit of `files` on `main`.
    /// - Returns: the commit id.
    @discardableResult
    package static func repository(at directory: String, files: [String: String] = webApp) async throws -> String {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try await git(["init", "-q", "-b", "main"], in: directory)
        for (name, content) in files {
            try content.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8)
        }
        try await git(["add", "-A"], in: directory)
        try await git(["-c", "user.email=test@example.com", "-c", "user.name=Test", "commit", "-q", "-m", "commit"], in: directory)
        return try await git(["rev-parse", "HEAD"], in: directory).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs git, throwing when it fails.
    @discardableResult
    package static func git(_ arguments: [String], in directory: String, environment: [String: String] = [:]) async throws -> String {
        let result = try await ProcessRunner.run("/usr/bin/git", ["-C", directory] + arguments, environment: environment)
        guard result.status == 0 else { throw TestFailure("git \(arguments.joined(separator: " ")) failed: \(result.stderr)") }
        return result.stdout
    }

    /// The commit a ref points to in a bare repository, or nil.
    package static func commit(of ref: String, inBare path: String) async throws -> String? {
        let result = try await ProcessRunner.run("/usr/bin/git", ["--git-dir", path, "rev-parse", "--verify", "-q", ref])
        return result.status == 0 ? result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) : nil
    }
}
