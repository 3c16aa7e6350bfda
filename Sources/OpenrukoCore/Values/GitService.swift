/// The two git services a client may reach, and how openruko spawns them: git directly
/// (never through a shell), with the project's hooks given just in time, and the pusher's
/// identity in the environment for the hook.
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
    ///   - executable: the `openruko` binary the hook should call back into.
    package func invocation(
        app: String, layout: DataLayout, resources: Resources, pusher: String, executable: String = Resources.executablePath,
        git: String = "/usr/bin/git"
    ) -> Invocation {
        let service = self == .receivePack ? "receive-pack" : "upload-pack"
        return Invocation(
            executable: git,
            arguments: ["-c", "core.hooksPath=\(resources.hooks)", service, layout.repo(app)],
            environment: [
                "OPENRUKO_BIN": executable,
                "OPENRUKO_DATA_DIR": layout.root,
                "OPENRUKO_ROOT": resources.root,
                "OPENRUKO_APP": app,
                "OPENRUKO_PUSHER": pusher,
            ])
    }
}
