package import Foundation
package import OpenrukoCore

/// Garbage collection inside the apps' own image stores (`DATA_DIR/containers/apps/UID`,
/// openruko as root): for each app not building now (its build lock is taken without
/// waiting, and held throughout), working containers a killed build left are removed and
/// the images `AppImageGarbage` calls garbage are removed with `buildah rmi` on that store
/// alone (buildah then drops the layers no image uses). Nothing outside the app's store is
/// named, and a store that names another app (`AppImageStore.ownerFile`) is not touched.
///
/// ```swift
/// let removed = await AppImageCollector(layout: layout).collect([.init(app: "web1", appID: id, uid: 70001, keptImageIDs: ids)])
/// ```
package struct AppImageCollector: Sendable {
    /// One app's store to collect.
    package struct Target: Sendable, Hashable {
        package var app: String
        package var appID: UUID
        package var uid: UInt32
        package var keptImageIDs: Set<String>

        package init(app: String, appID: UUID, uid: UInt32, keptImageIDs: Set<String>) {
            self.app = app
            self.appID = appID
            self.uid = uid
            self.keptImageIDs = keptImageIDs
        }
    }

    /// What one app's collection did.
    package struct Outcome: Sendable, Hashable {
        package var app: String
        /// Image ids removed.
        package var images: [String]
        /// Working containers removed (a killed build's).
        package var containers: Int
        /// Bytes the store shrank by.
        package var freed: Int64
        /// Why the app was skipped or what failed, if anything.
        package var note: String?
    }

    let layout: DataLayout

    package init(layout: DataLayout) {
        self.layout = layout
    }

    /// Collects every target's store in turn.
    package func collect(_ targets: [Target]) async -> [Outcome] {
        var outcomes: [Outcome] = []
        for target in targets {
            if let outcome = await collect(target) { outcomes.append(outcome) }
        }
        return outcomes
    }

    /// Collects one app's store; nil when it has none or there was nothing to do.
    package func collect(_ target: Target) async -> Outcome? {
        let store = AppImageStore(layout: layout, appID: target.appID, uid: target.uid, adminDriver: AppImageStore.driver)
        let storage = store.buildah.storage
        guard case .directory = FileTree.kind(storage) else { return nil }
        let owner = FileTree.text(store.ownerFile)?.trimmingCharacters(in: .whitespacesAndNewlines)
        guard owner == target.appID.uuidString.lowercased() else { return nil }
        guard let lock = BuildLock.attempt(app: target.app, layout: layout, holder: "the image garbage collector") else {
            return Outcome(app: target.app, images: [], containers: 0, freed: 0, note: "skipped: a build of the app is under way")
        }
        defer { withExtendedLifetime(lock) {} }
        let driver = AppImageStore.driver
        let containers = Self.count(FileManager.default.contents(atPath: storage + "/\(driver)-containers/containers.json"))
        let images = FileManager.default.contents(atPath: storage + "/\(driver)-images/images.json").map(AppImageGarbage.images) ?? []
        var parents: [String: String] = [:]
        for file in ["layers.json", "volatile-layers.json"] {
            if let data = FileManager.default.contents(atPath: storage + "/\(driver)-layers/" + file) {
                parents.merge(AppImageGarbage.parents(json: data)) { first, _ in first }
            }
        }
        let garbage = AppImageGarbage(app: target.app, keptImageIDs: target.keptImageIDs).garbage(images: images, parents: parents)
        guard containers > 0 || !garbage.isEmpty else { return nil }
        let directory = store.directory
        let before = await Self.offPool { DiskUsage.bytes(directory) }
        var note: String?
        if containers > 0 {
            // No build holds the lock: every working container is a dead build's.
            do { _ = try await store.buildah.capture(["rm", "--all"]) } catch { note = error.message }
        }
        var removed: [String] = []
        for id in garbage {
            do {
                _ = try await store.buildah.capture(["rmi", id])
                removed.append(id)
            } catch where error.message.contains("image not known") {
                continue  // removed with a child removed before (buildah drops dangling parents)
            } catch {
                note = error.message
            }
        }
        let freed = max(0, before - (await Self.offPool { DiskUsage.bytes(directory) }))
        return Outcome(app: target.app, images: removed, containers: containers, freed: freed, note: note)
    }

    /// Runs a blocking walk on a thread of its own, not on Swift's small cooperative pool.
    static func offPool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in Thread { continuation.resume(returning: body()) }.start() }
    }

    /// The entries of a JSON list (0 when absent or not a list).
    static func count(_ data: Data?) -> Int {
        guard let data, let list = (try? JSONSerialization.jsonObject(with: data)) as? [Any] else { return 0 }
        return list.count
    }
}
