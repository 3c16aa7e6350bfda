import Foundation
import OpenrukoCore

extension AppDynos {
    /// Moves the app to `release`: new web dynos (or the release's checked candidates) take
    /// the traffic once they are up, then the old ones drain and stop; other types are
    /// replaced after the web switch.
    func rollout(app: App, release: Release, slug: Slug, wanted: [String: (quantity: Int, command: String, size: String)]) async {
        let web = ProcessType.web.rawValue
        stopped.removeAll()
        var newWeb: [DynoDriver] = []
        if let web = wanted[web], web.quantity > 0 {
            if let candidates, candidates.releaseID == release.id {
                candidateExpiry?.cancel()
                self.candidates = nil
                newWeb = candidates.drivers.filter { $0.spec.index <= web.quantity }
                await retire(candidates.drivers.filter { $0.spec.index > web.quantity }, drainFirst: false)
            } else {
                discardCandidates()
            }
            let have = Set(newWeb.map(\.spec.index))
            let missing = (1...web.quantity).filter { !have.contains($0) }
            newWeb += await startSlots(
                app: app, release: release, slug: slug, type: ProcessType.web.rawValue, indexes: missing, command: web.command,
                size: web.size)
            await Self.settle(newWeb)
        } else {
            discardCandidates()
        }
        let oldWeb = slots.values.filter { $0.spec.type == web }
        for driver in oldWeb { slots[driver.spec.name] = nil }
        for driver in newWeb { slots[driver.spec.name] = driver }
        var statuses: [DynoStatus] = []
        for driver in newWeb { statuses.append(await driver.current) }
        routes.activate(app, statuses)
        releaseID = release.id
        await retire(oldWeb, drainFirst: true)

        let oldOthers = slots.values.filter { $0.spec.type != web }
        for driver in oldOthers { slots[driver.spec.name] = nil }
        await retire(oldOthers, drainFirst: false)
        for (type, entry) in wanted.sorted(by: { $0.key < $1.key }) where type != web && entry.quantity > 0 {
            let started = await startSlots(
                app: app, release: release, slug: slug, type: type, indexes: Array(1...entry.quantity), command: entry.command,
                size: entry.size)
            for driver in started { slots[driver.spec.name] = driver }
        }
        await pruneSlugTrees()
    }

    /// Matches the slot count of each type to the formation (same release); resets back-off.
    func scale(app: App, release: Release, slug: Slug, wanted: [String: (quantity: Int, command: String, size: String)]) async {
        var retired: [DynoDriver] = []
        var resized: [DynoDriver] = []
        for (name, driver) in slots {
            let quantity = wanted[driver.spec.type]?.quantity ?? 0
            if driver.spec.index > quantity {
                retired.append(driver)
                slots[name] = nil
            } else if let size = wanted[driver.spec.type]?.size, size.lowercased() != driver.spec.size.lowercased() {
                resized.append(driver)
            } else {
                await driver.resetBackoff()
            }
        }
        await retire(retired, drainFirst: true)
        // A new size takes new dynos (web ones take over once up, as on a restart).
        if !resized.isEmpty { await replace(resized, sizes: wanted.mapValues(\.size)) }
        stopped.removeAll()
        for (type, entry) in wanted.sorted(by: { $0.key < $1.key }) where entry.quantity > 0 {
            let missing = (1...entry.quantity).filter { slots["\(type).\($0)"] == nil }
            let started = await startSlots(
                app: app, release: release, slug: slug, type: type, indexes: missing, command: entry.command, size: entry.size)
            for driver in started { slots[driver.spec.name] = driver }
            if type == ProcessType.web.rawValue {
                var statuses: [DynoStatus] = []
                for driver in started { statuses.append(await driver.current) }
                routes.activate(app, statuses)
            }
        }
    }

    /// Waits until every driver is up or has failed.
    static func settle(_ drivers: [DynoDriver]) async {
        await withTaskGroup(of: Void.self) { group in
            for driver in drivers { group.addTask { _ = await driver.settled() } }
        }
    }

    /// Removes unpacked slugs no dyno and no current release needs any more.
    func pruneSlugTrees() async {
        var keep: Set<UUID> = []
        for driver in slots.values { keep.insert(driver.spec.slug.id) }
        for driver in candidates?.drivers ?? [] { keep.insert(driver.spec.slug.id) }
        for driver in retiring.values { keep.insert(driver.spec.slug.id) }
        await host.trees.prune(keeping: keep, inUse: host.filesystem.slugsInUse())
    }
}
