package import Foundation
package import OpenrukoCore
import Store

// MARK: - Disk: retention, garbage collection, the report

extension Platform {
    /// The retention rule of this process (`OPENRUKO_RETAIN_RELEASES`, `OPENRUKO_RETAIN_DAYS`).
    /// - Throws: `OpenrukoError.invalid` for a malformed value.
    package static func retentionRule(
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(OpenrukoError) -> RetentionRule {
        try RetentionRule.from(environment: environment)
    }

    /// One garbage collection (admins only): expires the artifacts the retention rule no
    /// longer keeps, then removes every item `GarbageRule` calls garbage.
    /// - Parameters:
    ///   - dryRun: decide and measure, write and remove nothing.
    ///   - pinned: slugs to keep whatever the rule says.
    package func collectGarbage(
        rule: RetentionRule, dryRun: Bool, pinned: Set<UUID> = [], as principal: Principal
    ) throws(OpenrukoError) -> GarbageCollection {
        try requireAdmin(principal, to: "collect garbage")
        let started = Date()
        let garbage = GarbageRule()
        var expired: [String: [Int]] = [:]
        var expiring: Set<UUID> = []
        for app in try store.apps() {
            let decision = try store.retention(appID: app.id, rule: rule, pinned: pinned, now: started, apply: !dryRun)
            expiring.formUnion(decision.expiring)
            if !decision.expiringVersions.isEmpty { expired[app.name] = decision.expiringVersions }
        }
        // The disk first, then the facts: what appears after the listing is not judged.
        let scan = DiskScan(layout: layout)
        let items = scan.items()
        var facts = try store.garbageFacts(now: Date(), fresh: garbage.shortGrace)
        facts.expiredSlugs.formUnion(expiring)
        facts.slugsInUse = scan.slugsInUse()
        var removed: [GarbageCollection.Removal] = []
        for item in items {
            guard let reason = garbage.reason(item, facts: facts) else { continue }
            let bytes = dryRun ? item.bytes : DiskUsage.remove(layout.root + "/" + item.path)
            removed.append(GarbageCollection.Removal(path: item.path, kind: item.kind.rawValue, bytes: bytes, reason: reason))
        }
        if !dryRun { removeEmptyDirectories(of: facts) }
        return GarbageCollection(
            dryRun: dryRun, removed: removed, freed: removed.reduce(0) { $0 + $1.bytes }, expired: expired,
            seconds: Date().timeIntervalSince(started))
    }

    /// Applies the retention rule to one app and removes the archives it expires (after a
    /// deploy, so that an app's slugs stay bounded between collections).
    /// - Returns: the versions that expired now.
    @discardableResult
    package func retainArtifacts(of app: App, rule: RetentionRule) throws(OpenrukoError) -> [Int] {
        let decision = try store.retention(appID: app.id, rule: rule, apply: true)
        for id in decision.expiring { DiskUsage.remove(layout.slug(app.name, id: id.uuidString.lowercased())) }
        return decision.expiringVersions
    }

    /// The container images (buildah ids) the retention rule keeps for `app`: those of its
    /// current, pending and retained container slugs. The image collector never removes them.
    package func keptImageIDs(of app: App, rule: RetentionRule) throws(OpenrukoError) -> Set<String> {
        let kept = try store.retention(appID: app.id, rule: rule, apply: false).kept
        let slugs = try store.slugs(appID: app.id).filter { kept.contains($0.id) }
        return Set(slugs.flatMap { ($0.images ?? [:]).values.map(\.imageID) }.filter { !$0.isEmpty })
    }

    /// The disk report: the platform's (admins, `app` nil) or one app's (its owner and
    /// collaborators, who see nothing of other apps).
    package func diskReport(app name: String?, rule: RetentionRule, as principal: Principal) throws(OpenrukoError) -> DiskReport {
        let only: App?
        if let name {
            only = try app(name, as: principal)
        } else {
            try requireAdmin(principal, to: "see the whole disk (use disk APP for one app)")
            only = nil
        }
        let garbage = GarbageRule()
        var facts = try store.garbageFacts(now: Date(), fresh: garbage.shortGrace)
        let judged: [App] = if let only { [only] } else { try store.apps() }
        for app in judged {
            facts.expiredSlugs.formUnion(try store.retention(appID: app.id, rule: rule, now: facts.now, apply: false).expiring)
        }
        let scan = DiskScan(layout: layout)
        facts.slugsInUse = scan.slugsInUse()
        let items = scan.items { role in only.map { facts.app(of: role) == $0.id } ?? true }
        let names = Dictionary(facts.appsByName.map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        var apps: [UUID: DiskReport.AppUsage] = [:]
        for (id, appName) in names where only == nil || only?.id == id {
            apps[id] = DiskReport.AppUsage(name: appName, bytes: DiskItem.Kind.zeros, total: 0, reclaimable: 0)
        }
        var kinds = DiskItem.Kind.zeros
        var reclaimable: Int64 = 0
        var listed: [DiskReport.Item] = []
        for item in items {
            let owner = facts.app(of: item.role)
            let reason = garbage.reason(item, facts: facts)
            if let reason { reclaimable += item.bytes }
            if let owner, apps[owner] != nil {
                apps[owner]!.bytes[item.kind.rawValue, default: 0] += item.bytes
                apps[owner]!.total += item.bytes
                if reason != nil { apps[owner]!.reclaimable += item.bytes }
            }
            kinds[item.kind.rawValue, default: 0] += item.bytes
            listed.append(DiskReport.Item(path: item.path, kind: item.kind.rawValue, app: owner.flatMap { names[$0] }, bytes: item.bytes, garbage: reason))
        }
        let space = scan.space()
        var report = DiskReport(
            apps: apps.values.sorted { ($0.total, $1.name) > ($1.total, $0.name) }, kinds: kinds,
            largest: Array(listed.sorted { $0.bytes > $1.bytes }.prefix(10)), reclaimable: reclaimable,
            free: space.free, capacity: space.capacity)
        if only == nil {
            let total = DiskUsage.bytes(layout.root)
            report.total = total
            report.other = total - items.reduce(0) { $0 + $1.bytes }
            report.dataDir = layout.root
        }
        return report
    }

    /// Removes what is kept under an app's name (repository, slugs, cache, build workspaces)
    /// before a new app of that name is made: debris of an app destroyed by an older openruko
    /// or of a rename cut short, which the new owner must not inherit.
    func removeDebris(named name: String) {
        for path in [layout.repo(name), layout.slugs(name), layout.cache(name), layout.builds + "/" + name] { DiskUsage.remove(path) }
    }

    /// Removes every byte an app owns under `DATA_DIR` (before its records go):
    /// repository, slugs and their unpacked trees, cache, logs, build logs and workspaces,
    /// image store.
    /// - Parameters:
    ///   - slugs: the app's slug ids, read before its records are deleted.
    ///   - builds: the app's build ids, likewise.
    func removeData(of app: App, slugs: [UUID], builds: [UUID]) {
        removeDebris(named: app.name)  // what is kept under its name
        var paths = [layout.appLogDirectory(app.id.uuidString.lowercased())]
        paths += slugs.map { layout.unpackedSlugs + "/" + $0.uuidString.lowercased() }
        paths += builds.map { layout.buildLog($0.uuidString.lowercased()) }
        paths += builds.map { layout.uploads + "/" + $0.uuidString.lowercased() + ".tgz" }
        if let uid = app.sandboxUID {
            // The image store, its run state and its build scratch (`ContainerIdentity`).
            paths += [layout.appImageStores + "/\(uid)", layout.containerRunRoot + "/apps/\(uid)", layout.run + "/container-builds/\(uid)"]
        }
        for path in paths { DiskUsage.remove(path) }
    }

    /// Removes `slugs/APP` and `builds/APP` directories left empty by apps that are gone.
    private func removeEmptyDirectories(of facts: GarbageRule.Facts) {
        for parent in [layout.root + "/slugs", layout.builds] {
            for name in DiskUsage.names(parent) where facts.appsByName[name] == nil {
                rmdir(parent + "/" + name)  // only when empty
            }
        }
    }
}
