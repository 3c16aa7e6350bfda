import Foundation
package import OpenrukoCore
package import Operations

/// What to run for an exec request, once authorized.
package enum Program: Sendable, Equatable {
    /// A git service (`GitService.invocation`), spawned without a shell.
    case git(GitService.Invocation)
    /// A command of the table, run in-process as the key's user.
    case command([String])
    /// A refusal: print ` !     message` on stderr, exit 1.
    case refusal(String)
}

/// Turns an exec request into a program, applying the access rules of the operations layer
/// (owner, collaborator or admin for both git services). Shared by the embedded server and
/// `openruko ssh-command` (OpenSSH mode).
///
/// ```swift
/// let dispatcher = ExecDispatcher(platform: platform, resources: resources)
/// dispatcher.program(for: ExecRequest(parsing: "git-upload-pack '/web1.git'"), as: user)
/// ```
package struct ExecDispatcher: Sendable {
    /// The operations layer.
    package let platform: Platform
    /// Where hooks live (git gets `core.hooksPath`).
    package let resources: Resources
    /// The `openruko` binary the git hook calls back into.
    package let executable: String
    /// The git program.
    package let git: String

    package init(platform: Platform, resources: Resources, executable: String = Resources.executablePath, git: String = "/usr/bin/git") {
        self.platform = platform
        self.resources = resources
        self.executable = executable
        self.git = git
    }

    /// The message for an interactive login.
    package static let noShell = "openruko has no shell. Run a command instead, e.g. ssh -p PORT git@HOST help"

    /// The program for `request`, run as `user`.
    /// - Parameter gitProtocol: the client's `GIT_PROTOCOL` (e.g. `version=2`), passed to git.
    package func program(for request: ExecRequest, as user: User, gitProtocol: String? = nil) -> Program {
        switch request {
        case .refused(let message):
            return .refusal(message)
        case .command(let words):
            return .command(words)
        case .git(let service, let name):
            do {
                let app = try platform.gitRepository(name, as: .user(user), for: service)
                var invocation = service.invocation(
                    app: app.name, layout: platform.layout, resources: resources, pusher: user.id.uuidString.lowercased(),
                    executable: executable, git: git)
                if let gitProtocol, Self.isSafeProtocol(gitProtocol) { invocation.environment["GIT_PROTOCOL"] = gitProtocol }
                return .git(invocation)
            } catch {
                return .refusal(error.message)
            }
        }
    }

    /// `GIT_PROTOCOL` values look like `version=2` or `version=2:object-format=sha1`.
    package static func isSafeProtocol(_ value: String) -> Bool {
        !value.isEmpty && value.count <= 100
            && value.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || "=:-_.".unicodeScalars.contains($0) }
    }
}
