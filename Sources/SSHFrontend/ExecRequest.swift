package import OpenrukoCore

/// What an SSH exec string asks for, parsed and allow-listed before anything runs
/// (DESIGN.md §2.4): one of the two git services on an app, a command of the table, or a
/// refusal with the sentence to show.
///
/// ```swift
/// ExecRequest(parsing: "git-receive-pack 'web1.git'")   // .git(.receivePack, app: "web1")
/// ExecRequest(parsing: "config:set web1 A=1")            // .command(["config:set", "web1", "A=1"])
/// ```
package enum ExecRequest: Sendable, Equatable {
    /// `git-receive-pack`/`git-upload-pack` on an app's repository.
    case git(GitService, app: String)
    /// A command line for the command table.
    case command([String])
    /// Not allowed; the message says why (shown as ` !     message`).
    case refused(String)

    /// Characters that never appear in a repository argument git clients send.
    static let forbidden: Set<Character> = [
        ";", "&", "|", "$", "`", "\\", "\"", "<", ">", "(", ")", "{", "}", "[", "]", "*", "?", "!", "~", "#", "%", "^", "\n",
        "\r", "\t", " ", "\0",
    ]

    /// Parses and allow-lists an exec string.
    package init(parsing command: String) {
        let trimmed = command.trimmingWhitespace()
        for service in [GitService.receivePack, .uploadPack] {
            let name = service.rawValue
            if trimmed == name {
                self = .refused("Usage: \(name) 'APP.git'")
                return
            }
            if trimmed.hasPrefix(name + " ") {
                let argument = String(trimmed.dropFirst(name.count + 1)).trimmingWhitespace()
                switch Self.repository(argument) {
                case .success(let app): self = .git(service, app: app)
                case .failure(let refusal): self = .refused(refusal.message)
                }
                return
            }
        }
        do {
            self = .command(try ShellWords.split(trimmed))
        } catch {
            self = .refused(error.message)
        }
    }

    /// The app named by a git repository argument: `'APP.git'`, `APP`, `/APP.git` (with or
    /// without the one pair of single quotes git sends, with or without `.git`).
    static func repository(_ argument: String) -> Result<String, ShellWords.Malformed> {
        let invalid = ShellWords.Malformed(
            message: "Invalid repository \(argument). Use ssh://git@HOST:PORT/APP.git (or git@HOST:APP.git).")
        var path = Substring(argument)
        if path.hasPrefix("'") {
            guard path.count >= 2, path.hasSuffix("'") else { return .failure(invalid) }
            path = path.dropFirst().dropLast()
        }
        guard !path.contains("'"), !path.contains(where: forbidden.contains), !path.contains("..") else { return .failure(invalid) }
        if path.hasPrefix("/") { path = path.dropFirst() }
        if path.hasSuffix(".git") { path = path.dropLast(4) }
        let app = String(path)
        guard AppName.isValid(app) else { return .failure(invalid) }
        return .success(app)
    }
}
