import Builder
import Foundation
import Logging
import OpenrukoCore
import Store

/// What a daemon or hook killed mid-way leaves behind, repaired: at the daemon's start,
/// builds and releases still `pending` whose app nobody is building (its build lock is free)
/// are marked failed with a reason; while it runs, so are builds whose owner died (a killed
/// hook; `BuildOwner`) with their deploy's release. The staged uploads and workspaces of the
/// failed builds go with them, and at start the partial slugs of apps nobody is building.
/// The log says what was recovered.
enum Recovery {
    /// Marks the interrupted builds and releases of every app failed. Returns how many.
    @discardableResult
    static func failInterrupted(store: PlatformStore, layout: DataLayout, logger: Logger) -> Int {
        var recovered = 0
        for app in apps(store, logger) where !BuildLock.isHeld(app: app.name, layout: layout) {
            for build in (try? store.builds(appID: app.id)) ?? [] where build.status == .pending {
                recovered += fail(build, of: app, store: store, layout: layout, logger: logger)
            }
            for release in (try? store.releases(appID: app.id)) ?? [] where release.status == .pending {
                if (try? store.setReleaseStatus(id: release.id, .failed)) != nil {
                    recovered += 1
                    logger.notice("Marked the interrupted release v\(release.version) of \(app.name) failed; the current release keeps serving.")
                }
            }
            removeWorkspaces(of: app.name, layout: layout)
            removePartialSlugs(of: app.name, layout: layout)
        }
        removeStagedUploads(store: store, layout: layout)
        return recovered
    }

    /// While the daemon runs, for each build some process claimed (`BuildOwner`) and whose
    /// claimant is gone: a still `pending` one of an app nobody is building is failed, with the
    /// pending release of the commit it was deploying; a decided one only loses its owner file
    /// (a killed daemon's build process finished it on its own). Staged uploads of builds no
    /// longer pending go too. Touches only the builds that have owner files.
    /// - Returns: the releases it failed (their checked web dynos may still run), by app.
    @discardableResult
    static func failAbandoned(store: PlatformStore, layout: DataLayout, logger: Logger) -> [(appID: UUID, releaseID: UUID)] {
        var failed: [(appID: UUID, releaseID: UUID)] = []
        for id in BuildOwner.claimed(layout: layout) where BuildOwner.isAbandoned(id, layout: layout) {
            // Read after the check: an owner lets go only once its build is decided.
            guard let build = try? store.build(id: id) else { continue }
            guard build.status == .pending else {
                BuildOwner.forget(id, layout: layout)
                continue
            }
            guard let app = try? store.app(build.appID.uuidString.lowercased()),
                !BuildLock.isHeld(app: app.name, layout: layout)
            else { continue }
            _ = fail(build, of: app, store: store, layout: layout, logger: logger)
            guard let commit = build.commit else { continue }
            let deploy = "Deploy " + String(commit.prefix(7))
            for release in (try? store.releases(appID: app.id)) ?? [] where release.status == .pending && release.description == deploy {
                if (try? store.setReleaseStatus(id: release.id, .failed)) != nil {
                    failed.append((app.id, release.id))
                    logger.notice("Marked the abandoned release v\(release.version) of \(app.name) failed; the current release keeps serving.")
                }
            }
        }
        removeStagedUploads(store: store, layout: layout)
        return failed
    }

    private static func apps(_ store: PlatformStore, _ logger: Logger) -> [App] {
        do {
            return try store.apps()
        } catch {
            logger.error("Cannot look for interrupted builds and releases: \(error.message)")
            return []
        }
    }

    private static func fail(_ build: Build, of app: App, store: PlatformStore, layout: DataLayout, logger: Logger) -> Int {
        let output = " !     Build interrupted: the process running it stopped before it finished (recovered by openruko).\n"
        guard (try? store.finishBuild(id: build.id, status: .failed, output: output, slugID: nil, releaseID: nil)) != nil else { return 0 }
        BuildOwner.forget(build.id, layout: layout)
        let id = build.id.uuidString.lowercased()
        try? FileManager.default.removeItem(atPath: layout.uploads + "/" + id + ".tgz")
        BuildCacheHandOff.reclaim(workspace: layout.builds + "/" + app.name + "/" + id, to: layout.cache(app.name))
        try? FileManager.default.removeItem(atPath: layout.builds + "/" + app.name + "/" + id)
        logger.notice("Marked the interrupted build \(id) of \(app.name) failed.")
        return 1
    }

    /// Build workspaces of an app that nobody is building (the app's cache comes back first).
    private static func removeWorkspaces(of app: String, layout: DataLayout) {
        BuildCacheHandOff.removeWorkspaces(of: app, layout: layout)
    }

    /// Slug archives and slug member files a killed build was still writing (`*.partial`).
    private static func removePartialSlugs(of app: String, layout: DataLayout) {
        for directory in [layout.slugs(app), layout.slugMembers(app)] {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where name.hasSuffix(".partial") {
                unlink(directory + "/" + name)
            }
        }
    }

    /// Staged source uploads whose build is no longer pending.
    private static func removeStagedUploads(store: PlatformStore, layout: DataLayout) {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: layout.uploads)) ?? [] where name.hasSuffix(".tgz") {
            let id = UUID(uuidString: String(name.dropLast(4)))
            let pending = id.flatMap { try? store.build(id: $0) }?.status == .pending
            if !pending { try? FileManager.default.removeItem(atPath: layout.uploads + "/" + name) }
        }
    }
}
