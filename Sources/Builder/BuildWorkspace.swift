import Foundation
import OpenrukoCore
import Isolation

/// The scratch directories of one build under `DATA_DIR/builds/APP/ID`, and where the sandbox
/// sees them: one mount, `/tmp/codon` (host `work`), holding the source and slug contents
/// (`BUILD_DIR`, `/tmp/codon/build_ID`) and the app's persistent cache (`CACHE_DIR`,
/// `/tmp/codon/tmp/cache` as on Heroku, moved in for the build: `BuildCacheHandOff`), so
/// buildpacks can hard-link or rename between them; the private `/app` shared by every step
/// of the build, each step's own `/tmp` (a tmpfs of `tmpBytes`, under the binds: BUILD_DIR and
/// the others stay on disk), `ENV_DIR` (`/tmp/env`, read-only) and the per-build writable
/// buildpack copies (`/tmp/buildpacks/N`). The cache goes back and the whole directory is
/// removed when the build ends.
struct BuildWorkspace {
    let root: String
    let layout: DataLayout
    let cache: String
    let identity: SandboxIdentity
    /// `/tmp/codon/build_<id>` inside the sandbox (Heroku builds outside `/app`, too).
    let buildDirectory: String
    /// The build's network namespace, shared by its steps (nil: each step gets its own).
    var networkNamespace: String?
    /// The stack's build image every step runs on (nil: the legacy stack, the host's `/usr`).
    var stack: String?
    /// The size of each step's `/tmp` tmpfs (`BuildSettings.buildTmpMaxBytes`).
    var tmpBytes: UInt64 = 2 << 30

    init(layout: DataLayout, app: String, buildID: UUID, identity: SandboxIdentity) {
        let id = buildID.uuidString.lowercased()
        self.layout = layout
        root = layout.builds + "/" + app + "/" + id
        cache = layout.cache(app)
        self.identity = identity
        buildDirectory = Self.workDirectory + "/build_" + id.replacingOccurrences(of: "-", with: "").prefix(16)
    }

    /// Host paths.
    /// The one mount holding BUILD_DIR and CACHE_DIR (not the sandbox user's: it cannot
    /// replace them when openruko is root).
    var work: String { root + "/work" }
    /// `BUILD_DIR` on the host.
    var source: String { work + "/" + (buildDirectory as NSString).lastPathComponent }
    /// `CACHE_DIR` on the host while the build runs (`cache` is the app's own path).
    var sandboxCache: String { BuildCacheHandOff.inWorkspace(root) }
    var home: String { root + "/home" }
    var env: String { root + "/env" }
    var buildpacks: String { root + "/buildpacks" }
    /// Where a fetched source tarball waits (outside what the sandbox writes).
    var upload: String { root + "/source.tgz" }

    /// Sandbox paths.
    static let workDirectory = "/tmp/codon"
    static let cacheDirectory = "/tmp/codon/tmp/cache"
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
        // whose process died (its cache comes back first).
        BuildCacheHandOff.removeWorkspaces(of: (parent as NSString).lastPathComponent, layout: layout)
        try manager.createDirectory(atPath: root, withIntermediateDirectories: true)
        chmod(root, 0o711)
        try manager.createDirectory(atPath: work, withIntermediateDirectories: true)
        chmod(work, 0o711)
        // Only a real directory is the app's cache (never follow what a build left).
        if let kind = FileTree.kind(cache), !kind.isDirectory { FileTree.remove(cache) }
        let foreignCache = identity.switchesUser && FileTree.owner(cache).map { $0 != identity.uid } ?? false
        for directory in [source, work + "/tmp", home, env, buildpacks, cache] {
            try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
            chmod(directory, 0o700)
            identity.own(directory)
        }
        // A cache written under another identity (before apps had their own) is handed over.
        if foreignCache {
            FileTree.walk(cache) { relative, _ in identity.own(cache + "/" + relative) }
        }
        // Into the work mount (else, on another filesystem, it is bound at CACHE_DIR as before).
        _ = BuildCacheHandOff.moveIn(cache, workspace: root)
    }

    /// Whether `BUILD_DIR` is still a real directory: a build may swap it for a link to a host
    /// path, which the daemon must not read or pack. Checked after every sandboxed step.
    var buildDirectoryIntact: Bool { FileTree.kind(source)?.isDirectory ?? false }

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
            app: .directory(home), tmp: .tmpfs,
            binds: [
                .init(work, at: Self.workDirectory, writable: true),
            ] + cacheBind + [
                .init(env, at: Self.envDirectory),
                .init(buildpacks, at: "/tmp/buildpacks", writable: true),
            ] + extraBinds,
            network: true, hostname: "build", timeLimit: timeLimit, gracePeriod: .seconds(5), identity: identity,
            networkNamespace: networkNamespace)
        configuration.stack = stack
        configuration.tmpfsSize = tmpBytes
        // A full /tmp holds memory no process owns: the kernel must pick the step, not the hook.
        configuration.oomScoreAdjust = 500
        return configuration
    }

    /// The cache's own mount when it could not move into `work` (BUILD_DIR and CACHE_DIR on
    /// two mounts: buildpacks copy between them). While it is in the workspace, the app's cache
    /// path does not exist.
    var cacheBind: [SandboxConfiguration.Bind] {
        guard FileTree.kind(cache)?.isDirectory ?? false else { return [] }
        return [.init(cache, at: Self.cacheDirectory, writable: true)]
    }

    /// Puts the app's cache back in its place (`BuildCacheHandOff.reclaim`); idempotent.
    func returnCache() {
        BuildCacheHandOff.reclaim(workspace: root, to: cache)
    }

    /// Returns the cache, then removes everything (files sandboxed code made read-only included).
    func remove() {
        returnCache()
        FileTree.remove(root)
    }
}
