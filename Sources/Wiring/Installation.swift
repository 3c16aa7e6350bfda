import Foundation
package import OpenrukoCore
package import Operations
package import Store
import Builder

/// One openruko data directory, opened: its layout, store and operations layer. Every
/// process (daemon, `openruko admin`, the git hook, `ssh-command`) starts here.
package struct Installation: Sendable {
    package let layout: DataLayout
    package let store: PlatformStore
    package let platform: Platform

    /// Creates the data directory if needed, opens and migrates the store, and wires the
    /// operations layer with the given runtime seams.
    /// - Throws: `OpenrukoError` when the directory or database cannot be prepared.
    package static func open(
        _ layout: DataLayout, urls: PublicURLs? = nil, runtime: any RuntimeControl = DetachedRuntime(),
        releasePhase: any ReleasePhaseRunner = UnavailableReleasePhase(), logs: any LogSink = DiscardingLogSink()
    ) throws(OpenrukoError) -> Installation {
        try open(layout, urls: urls, logs: logs) { _ throws(OpenrukoError) in (runtime, releasePhase) }
    }

    /// Opens the data directory with runtime seams made from its store (the daemon's
    /// supervisor reads the store it is wired into).
    package static func open(
        _ layout: DataLayout, urls: PublicURLs? = nil, logs: any LogSink = DiscardingLogSink(),
        seams: (PlatformStore) throws(OpenrukoError) -> (any RuntimeControl, any ReleasePhaseRunner)
    ) throws(OpenrukoError) -> Installation {
        try prepareDirectories(layout)
        let store = try PlatformStore(path: layout.database)
        chmod(layout.database, 0o600)
        let (runtime, releasePhase) = try seams(store)
        let urls = urls ?? DaemonInfo.read(layout)?.publicURLs ?? PublicURLs()
        let platform = Platform(
            store: store, layout: layout, repositories: GitRepositories(layout: layout), runtime: runtime,
            releasePhase: releasePhase, logs: logs, urls: PublicURLSource(urls),
            databases: try PostgresAdminSetting.provisioner(layout), redis: RedisProvisioner(layout: layout))
        return Installation(layout: layout, store: store, platform: platform)
    }

    /// `DATA_DIR` (traversable, not listable by others) and its private `ssh/`.
    static func prepareDirectories(_ layout: DataLayout) throws(OpenrukoError) {
        let manager = FileManager.default
        do {
            try manager.createDirectory(atPath: layout.root, withIntermediateDirectories: true)
            chmod(layout.root, 0o711)
            // Private to openruko, except where the sandbox user passes through (never lists):
            // `run` (the sandbox's passwd files, dyno trees) and `cache` (each app's own cache).
            for (directory, mode) in [
                (layout.repos, 0o700), (layout.logs, 0o700), (layout.run, 0o711), (layout.root + "/slugs", 0o700),
                (layout.root + "/cache", 0o711),
            ] as [(String, mode_t)] {
                try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
                chmod(directory, mode)
            }
            try manager.createDirectory(atPath: layout.ssh, withIntermediateDirectories: true)
            chmod(layout.ssh, 0o700)
        } catch {
            throw OpenrukoError(.internal, "Cannot create the data directory \(layout.root): \(error.localizedDescription)")
        }
    }
}
