import Foundation
package import OpenrukoCore

/// Moves an app's build cache into a build's workspace and back. A build sees its build
/// directory and its cache inside one mount (`BuildWorkspace.work`), so buildpacks can restore a
/// cached tree with hard links or a rename instead of a copy (across two bind mounts both fail
/// with `EXDEV`). Both moves are renames on `DATA_DIR`'s filesystem: O(1) whatever the cache holds.
///
/// While a build runs, `DATA_DIR/cache/APP` does not exist: the cache is at
/// `DATA_DIR/builds/APP/ID/work/tmp/cache`. The cache is tenant content, so nothing here follows a
/// link: only a real directory moves back (a link, fifo or file the build left in its place
/// goes with the workspace, and the next build starts with an empty cache). A build killed
/// mid-way leaves its workspace; the next build of the app (`BuildWorkspace.create`) or the
/// daemon's start (`Recovery`) brings the cache back before removing it.
package enum BuildCacheHandOff {
    /// Where a workspace rooted at `root` holds the app's cache during a build (host path).
    package static func inWorkspace(_ root: String) -> String { root + "/work/tmp/cache" }

    /// Moves the app's cache (`cache`, a real directory) into the workspace at `root`.
    /// - Returns: whether it moved (false: it stays where it is, e.g. on another filesystem).
    static func moveIn(_ cache: String, workspace root: String) -> Bool {
        guard case .directory = FileTree.kind(cache) else { return false }
        return rename(cache, inWorkspace(root)) == 0
    }

    /// Puts the cache a build left in the workspace at `root` back at `cache`, the app's cache
    /// path, unless the app already has a cache there (the workspace's copy is then stale: the
    /// mount point of a cache that could not move in). Call it only when
    /// no process of that build can still run (the app's build lock is held, or is free).
    /// - Returns: whether a cache came back.
    @discardableResult
    package static func reclaim(workspace root: String, to cache: String) -> Bool {
        let left = inWorkspace(root)
        guard case .directory = FileTree.kind(left), FileTree.kind(cache) == nil else { return false }
        try? FileManager.default.createDirectory(
            atPath: (cache as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        guard rename(left, cache) == 0 else { return false }
        // The build may have opened its cache to others (it is checked to be a directory).
        chmod(cache, 0o700)
        return true
    }

    /// Brings back the cache of every workspace of `app` (builds nobody runs any more), then
    /// removes those workspaces.
    package static func removeWorkspaces(of app: String, layout: DataLayout) {
        let directory = layout.builds + "/" + app
        for name in DiskUsage.names(directory) {
            reclaim(workspace: directory + "/" + name, to: layout.cache(app))
            FileTree.remove(directory + "/" + name)
        }
    }
}
