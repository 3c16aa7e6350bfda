import Foundation
import OpenrukoCore

/// Lists what openruko wrote under `DATA_DIR` as `DiskItem`s, one per app directory, slug,
/// unpacked slug, image store, log or build leftover. Only openruko's own directories are
/// read (never a path a tenant names), entries are `lstat`ed, and links are never followed.
struct DiskScan {
    let layout: DataLayout

    /// The items whose role `wanted` accepts (sizes are only measured for those).
    func items(where wanted: (DiskItem.Role) -> Bool = { _ in true }) -> [DiskItem] {
        var items: [DiskItem] = []
        func add(_ relative: String, _ role: DiskItem.Role) {
            guard wanted(role) else { return }
            let path = layout.root + "/" + relative
            guard let modified = DiskUsage.modified(path) else { return }
            let bytes = if case .directory = role { DiskUsage.ownBytes(path) } else { DiskUsage.bytes(path) }
            items.append(DiskItem(role: role, path: relative, bytes: bytes, modified: modified))
        }
        for name in DiskUsage.names(layout.repos) where name.hasSuffix(".git") {
            add("repos/" + name, .repo(app: String(name.dropLast(4))))
        }
        for app in DiskUsage.names(layout.root + "/slugs") {
            add("slugs/" + app, .directory(app: app, of: .slugs))
            for name in DiskUsage.names(layout.slugs(app)) {
                // The slug member cache is a build cache (removed with the app, never as garbage).
                if layout.slugs(app) + "/" + name == layout.slugMembers(app) {
                    add("slugs/\(app)/\(name)", .cache(app: app))
                    continue
                }
                let id = name.hasSuffix(".tgz") ? UUID(uuidString: String(name.dropLast(4))) : nil
                add("slugs/\(app)/\(name)", .slugArchive(app: app, slug: id))
            }
        }
        for name in DiskUsage.names(layout.unpackedSlugs) {
            add("run/runtime/slugs/" + name, .slugTree(slug: UUID(uuidString: name)))
        }
        for name in DiskUsage.names(layout.appImageStores) {
            add("containers/apps/" + name, .imageStore(uid: UInt32(name)))
        }
        for app in DiskUsage.names(layout.root + "/cache") { add("cache/" + app, .cache(app: app)) }
        for name in DiskUsage.names(layout.logs + "/apps") { add("logs/apps/" + name, .appLogs(app: UUID(uuidString: name))) }
        for name in DiskUsage.names(layout.logs + "/builds") {
            let id = name.hasSuffix(".log") ? UUID(uuidString: String(name.dropLast(4))) : nil
            add("logs/builds/" + name, .buildLog(build: id))
        }
        for app in DiskUsage.names(layout.builds) {
            add("builds/" + app, .directory(app: app, of: .builds))
            for name in DiskUsage.names(layout.builds + "/" + app) {
                add("builds/\(app)/\(name)", .buildWorkspace(app: app, build: UUID(uuidString: name)))
            }
        }
        for name in DiskUsage.names(layout.uploads) {
            let id = name.hasSuffix(".tgz") ? UUID(uuidString: String(name.dropLast(4))) : nil
            add("run/uploads/" + name, .stagedUpload(build: id))
        }
        return items
    }

    /// The slug ids that dyno directories name (`run/runtime/dynos/*/slug`, as the runtime
    /// writes them): their unpacked trees are in use.
    func slugsInUse() -> Set<UUID> {
        let dynos = layout.run + "/runtime/dynos"
        var used: Set<UUID> = []
        for name in DiskUsage.names(dynos) {
            let file = dynos + "/" + name + "/slug"
            guard let size = DiskUsage.regularFileSize(file), size < 100 else { continue }
            if let text = try? String(contentsOfFile: file, encoding: .utf8),
                let id = UUID(uuidString: text.trimmingCharacters(in: .whitespacesAndNewlines))
            {
                used.insert(id)
            }
        }
        return used
    }

    /// Free and total bytes of the data directory's filesystem (for an unprivileged writer).
    func space() -> (free: Int64, capacity: Int64) {
        let space = DataDirUsage.filesystem(layout)
        return (space.free, space.capacity)
    }
}
