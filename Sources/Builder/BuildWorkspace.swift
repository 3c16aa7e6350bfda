import Foundation
import OpenrukoCore
import Sandbox

/// The scratch directories of one build under `DATA_DIR/builds/ID`, and where the sandbox
/// sees them: the source and slug contents (`BUILD_DIR`, `/tmp/build_ID`), the private
/// `/app` and `/tmp` shared by every step of the build, `ENV_DIR` (`/tmp/env`, read-only),
/// the per-build writable buildpack copies (`/tmp/buildpacks/N`), and the app's persistent
/// cache (`/tmp/cache`). The whole directory is removed when the build ends.
struct BuildWorkspace {
    let root: String
    let layout: DataLayout
    let cache: String
    let identity: SandboxIdentity
    /// `/tmp/build_<id>` inside the sandbox (Heroku builds outside `/app`, too).
    let buildDirectory: String
    /// The build's network namespace, shared by its steps (nil: each step gets its own).
    var networkNamespace: String?
    /// The stack's build image every step runs on (nil: the legacy stack, the host's `/usr`).
    var stack: String?

    init(layout: DataLayout, app: String, buildID: UUID, identity: SandboxIdentity) {
        let id = buildID.uuidString.lowercased()
        self.layout = layout
        root = layout.builds + "/" + app + "/" + id
        cache = layout.cache(app)
        self.identity = identity
        buildDirectory = "/tmp/build_" + id.replacingOccurrences(of: "-", with: "").prefix(16)
    }

    /// Host paths.
    var source: String { root + "/app" }
    var home: String { root + "/home" }
    var tmp: String { root + "/tmp" }
    var env: String { root + "/env" }
    var buildpacks: String { root + "/buildpacks" }
    /// Where a fetched source tarball waits (outside what the sandbox writes).
    var upload: String { root + "/source.tgz" }

    /// Sandbox paths.
    static let cacheDirectory = "/tmp/cache"
    static let envDirectory = "/tmp/env"
    static func buildpack(_ index: Int) -> String { "/tmp/buildpacks/\(index)" }
    func hostBuildpack(_ index: Int) -> String { buildpacks + "/\(index)" }

    /// Creates the directories, owned by the sandbox user and closed to other host users.
    func create() throws {
        let manager = FileManager.default
        let parent = (root as NSString).deletingLastPathComponent
        try manager.createDirectory(atPath: parent, withIntermediateDirectories: true)
        chmod(layout.builds, 0o711)
        chmod(parent, 0o711)
        // Only the holder of the app's build lock gets here: anything left is from a build
        // whose process died.
        for stale in (try? manager.contentsOfDirectory(atPath: parent)) ?? [] { FileTree.remove(parent + "/" + stale) }
        try manager.createDirectory(atPath: root, withIntermediateDirectories: true)
        chmod(root, 0o711)
        let foreignCache = identity.switchesUser && FileTree.owner(cache).map { $0 != identity.uid } ?? false
        for directory in [source, home, tmp, env, buildpacks, cache] {
            try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
            chmod(directory, 0o700)
            identity.own(directory)
        }
        // A cache written under another identity (before apps had their own) is handed over.
        if foreignCache {
            FileTree.walk(cache) { relative, _ in identity.own(cache + "/" + relative) }
        }
    }

    /// Writes config vars as ENV_DIR files (name = key, content = exact value), readable only
    /// by the sandbox user, and makes ENV_DIR read-only.
    func writeConfig(_ config: [String: String]) throws {
        for (key, value) in config {
            let path = env + "/" + key
            try Data(value.utf8).write(to: URL(fileURLWithPath: path))
            chmod(path, 0o400)
            identity.own(path)
        }
        chmod(env, 0o500)
    }

    /// Gives the sandbox user everything in the source tree (after a root-side checkout).
    /// Modes become git's (0755 directories and executables, 0644 other files): the checkout
    /// ran under openruko's `umask 077`, and the slug keeps these modes.
    func ownSource() {
        identity.own(source)
        chmod(source, 0o700)
        FileTree.walk(source) { relative, kind in
            let path = source + "/" + relative
            switch kind {
            case .directory: chmod(path, 0o755)
            case .file(_, let mode, _): chmod(path, mode & 0o100 != 0 ? 0o755 : 0o644)
            case .symlink, .other: break
            }
            identity.own(path)
        }
    }

    /// The sandbox of one build step.
    func configuration(
        _ command: [String], environment: [String: String], timeLimit: Duration?, extraBinds: [SandboxConfiguration.Bind] = [],
        workingDirectory: String? = nil
    ) -> SandboxConfiguration {
        var configuration = SandboxConfiguration(
            command: command, environment: environment, workingDirectory: workingDirectory ?? buildDirectory,
            app: .directory(home), tmp: .directory(tmp),
            binds: [
                .init(source, at: buildDirectory, writable: true),
                .init(cache, at: Self.cacheDirectory, writable: true),
                .init(env, at: Self.envDirectory),
                .init(buildpacks, at: "/tmp/buildpacks", writable: true),
            ] + extraBinds,
            network: true, hostname: "build", timeLimit: timeLimit, gracePeriod: .seconds(5), identity: identity,
            networkNamespace: networkNamespace)
        configuration.stack = stack
        return configuration
    }

    /// Removes everything (files sandboxed code made read-only included).
    func remove() {
        FileTree.remove(root)
    }
}
