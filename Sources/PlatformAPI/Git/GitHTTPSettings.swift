package import OpenrukoCore

/// Where the git programs are for smart HTTP.
package struct GitHTTPSettings: Sendable {
    /// The project's resources (hooks given to git as `core.hooksPath`).
    package var resources: Resources
    /// The `openruko` binary that runs receive-pack with the push lock and that hooks call.
    package var executable: String
    /// The git program.
    package var git: String

    package init(resources: Resources, executable: String = Resources.executablePath, git: String = "/usr/bin/git") {
        self.resources = resources
        self.executable = executable
        self.git = git
    }
}
