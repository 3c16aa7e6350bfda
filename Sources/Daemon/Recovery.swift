import Builder
import Foundation
import Logging
import OpenrukoCore
import Store

/// What a daemon or hook killed mid-way leaves behind, repaired at the daemon's start: builds
/// and releases still `pending` whose app nobody is building (its build lock is free) are
/// marked failed with a reason, so they never wait forever; the log says what was recovered.
enum Recovery {
    /// Marks the interrupted builds and releases of every app failed. Returns how many.
    @discardableResult
    static func failInterrupted(store: PlatformStore, layout: DataLayout, logger: Logger) -> Int {
        var recovered = 0
        let apps: [App]
        do {
            apps = try store.apps()
        } catch {
            logger.error("Cannot look for interrupted builds and releases: \(error.message)")
            return 0
        }
        for app in apps where !BuildLock.isHeld(app: app.name, layout: layout) {
            for build in (try? store.builds(appID: app.id)) ?? [] where build.status == .pending {
                let output = " !     Build interrupted: openruko stopped before it finished (recovered at start).\n"
                if (try? store.finishBuild(id: build.id, status: .failed, output: output, slugID: nil, releaseID: nil)) != nil {
                    recovered += 1
                    logger.notice("Marked the interrupted build \(build.id.uuidString.lowercased()) of \(app.name) failed.")
                }
            }
            for release in (try? store.releases(appID: app.id)) ?? [] where release.status == .pending {
                if (try? store.setReleaseStatus(id: release.id, .failed)) != nil {
                    recovered += 1
                    logger.notice("Marked the interrupted release v\(release.version) of \(app.name) failed; the current release keeps serving.")
                }
            }
        }
        return recovered
    }
}
