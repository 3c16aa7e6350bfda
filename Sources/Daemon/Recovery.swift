import Builder
import Foundation
import Logging
import OpenrukoCore
import Store

/// What a daemon or hook killed mid-way leaves behind, repaired: at the daemon's start,
/// builds and releases still `pending` whose app nobody is building (its build lock is free)
/// are marked failed with a reason; while it runs, so are builds whose owner died (a killed
/// hook; `BuildOwner`) with their deploy's release. The staged uploads and workspaces of the
/// failed builds go with them. The log says what was recovered.
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
        }
        removeStagedUploads(store: store, layout: layout)
        return recovered
    }

    /// While the daemon runs: fails the pending builds whose owner died (and the pending
    /// release of the commit each was deploying), for apps whose build lock is free.
    /// - Returns: the releases it failed (their checked web dynos may still run), by app.
    @discardableResult
    static func failAbandoned(store: PlatformStore, layout: DataLayout, logger: Logger) -> [(appID: UUID, releaseID: UUID)] {
        var failed: [(appID: UUID, releaseID: UUID)] = []
        for app in apps(store, logger) {
            let pending = ((try? store.builds(appID: app.id)) ?? []).filter { $0.status == .pending }
            for build in pending where BuildOwner.isAbandoned(build.id, layout: layout) {
                // Decided between the listing and the check (its owner let go after recording it)?
                guard !BuildLock.isHeld(app: app.name, layout: layout),
                    (try? store.build(id: build.id))?.status == .pending
                else { continue }
                _ = fail(build, of: app, store: store, layout: layout, logger: logger)
                let deploy = build.commit.map { "Deploy " + String($0.prefix(7)) }
                for release in (try? store.releases(appID: app.id)) ?? []
                where release.status == .pending && deploy != nil && release.description == deploy {
                    if (try? store.setReleaseStatus(id: release.id, .failed)) != nil {
                        failed.append((app.id, release.id))
                        logger.notice("Marked the abandoned release v\(release.version) of \(app.name) failed; the current release keeps serving.")
                    }
                }
            }
        }
        return failed
    }

    /// While the daemon runs: removes what decided builds left (the owner files and staged
    /// uploads of builds that a killed daemon's build process finished on its own).
    static func removeDebris(store: PlatformStore, layout: DataLayout) {
        removeStagedUploads(store: store, layout: layout)
        let locks = (layout.lock("x") as NSString).deletingLastPathComponent
        for name in (try? FileManager.default.contentsOfDirectory(atPath: locks)) ?? [] where name.hasPrefix("owner-") {
            guard let id = UUID(uuidString: String(name.dropFirst("owner-".count).dropLast(".lock".count))),
                BuildOwner.isAbandoned(id, layout: layout), (try? store.build(id: id))?.status != .pending
            else { continue }
            BuildOwner.forget(id, layout: layout)
        }
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
        try? FileManager.default.removeItem(atPath: layout.builds + "/" + app.name + "/" + id)
        logger.notice("Marked the interrupted build \(id) of \(app.name) failed.")
        return 1
    }

    /// Build workspaces of an app that nobody is building.
    private static func removeWorkspaces(of app: String, layout: DataLayout) {
        let directory = layout.builds + "/" + app
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            try? FileManager.default.removeItem(atPath: directory + "/" + name)
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
