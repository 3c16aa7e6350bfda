/// The two git services a client may reach, and how openruko spawns them: never through a
/// shell, with the project's hooks given just in time, and the pusher's identity in the
/// environment for the hook. upload-pack is git itself; receive-pack is git exec'd by
/// `openruko hook receive-pack`, which opens the app's build lock file for git's hooks so
/// that a push holds the lock until git has moved its branch.
package enum GitService: String, Sendable, Hashable {
    case receivePack = "git-receive-pack"
    case uploadPack = "git-upload-pack"

    /// What to exec: the git program, its arguments and the environment additions.
    package struct Invocation: Sendable, Hashable {
        package var executable: String
        package var arguments: [String]
        package var environment: [String: String]
    }

    /// The invocation of this service on an app's bare repository.
    /// - Parameters:
    ///   - pusher: the id of the user acting (the hook attributes the build to them).
    ///   - executable: the `openruko` binary that runs receive-pack and that the hooks call back into.
    ///   - options: git's own options of the service, before the repository (smart HTTP passes
    ///     `--stateless-rpc` and `--advertise-refs`).
    package func invocation(
        app: String, layout: DataLayout, resources: Resources, pusher: String, executable: String = Resources.executablePath,
        git: String = "/usr/bin/git", options: [String] = []
    ) -> Invocation {
        let service = self == .receivePack ? "receive-pack" : "upload-pack"
        let command = [git, "-c", "core.hooksPath=\(resources.hooks)", service] + options + [layout.repo(app)]
        return Invocation(
            executable: self == .receivePack ? executable : git,
            arguments: self == .receivePack ? ["hook", "receive-pack"] + command : Array(command.dropFirst()),
            environment: [
                "OPENRUKO_BIN": executable,
                "OPENRUKO_DATA_DIR": layout.root,
                "OPENRUKO_ROOT": resources.root,
                "OPENRUKO_APP": app,
                "OPENRUKO_PUSHER": pusher,
            ])
    }
}
