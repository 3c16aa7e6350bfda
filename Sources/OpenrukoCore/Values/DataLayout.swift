/// Where everything lives under `DATA_DIR` (DESIGN.md §2.2). Nothing else is written.
package struct DataLayout: Sendable, Hashable {
    /// The data directory itself.
    package let root: String

    package init(root: String) {
        var root = root
        while root.count > 1 && root.hasSuffix("/") { root.removeLast() }
        self.root = root
    }

    /// `DATA_DIR/openruko.sqlite3`, the store (WAL).
    package var database: String { root + "/openruko.sqlite3" }
    /// `DATA_DIR/repos`, the bare git repositories.
    package var repos: String { root + "/repos" }
    /// `DATA_DIR/repos/APP.git`.
    package func repo(_ app: String) -> String { repos + "/\(app).git" }
    /// `DATA_DIR/slugs/APP`.
    package func slugs(_ app: String) -> String { root + "/slugs/\(app)" }
    /// `DATA_DIR/slugs/APP/ID.tgz`.
    package func slug(_ app: String, id: String) -> String { slugs(app) + "/\(id).tgz" }
    /// `DATA_DIR/cache/APP`, the buildpack cache that survives builds.
    package func cache(_ app: String) -> String { root + "/cache/\(app)" }
    /// `DATA_DIR/slugs/APP/members`, the compressed chunks of the app's last slug (openruko's
    /// own, unlike `cache`, which builds write; see `SlugMemberCache`).
    package func slugMembers(_ app: String) -> String { slugs(app) + "/members" }
    /// `DATA_DIR/builds`, scratch space of running builds (each removed when it ends).
    package var builds: String { root + "/builds" }
    /// `DATA_DIR/run/uploads`, API source tarballs staged for a build (outside `builds`, whose
    /// entries are app names).
    package var uploads: String { run + "/uploads" }
    /// `DATA_DIR/logs/builds/ID.log`, a build's output as it is written.
    package func buildLog(_ id: String) -> String { logs + "/builds/\(id).log" }
    /// `DATA_DIR/run/locks/NAME.lock`, an `flock` lock that dies with its holder.
    package func lock(_ name: String) -> String { run + "/locks/\(name).lock" }
    /// `DATA_DIR/ssh`, host keys.
    package var ssh: String { root + "/ssh" }
    /// `DATA_DIR/logs`.
    package var logs: String { root + "/logs" }
    /// `DATA_DIR/run`, sockets, locks and other runtime state.
    package var run: String { root + "/run" }
    /// `DATA_DIR/daemon.json`, written when every listener is bound.
    package var daemonInfo: String { root + "/daemon.json" }
}

extension DataLayout {
    /// `DATA_DIR/containers/storage`, buildah's image and layer store (vfs).
    package var containerStorage: String { root + "/containers/storage" }
    /// `DATA_DIR/run/containers`, buildah's run root (locks, mount state).
    package var containerRunRoot: String { run + "/containers" }
}
