package import Foundation

/// Which of the things openruko wrote are garbage, as a pure decision over what is on disk
/// (`DiskItem`s) and what the store says (`Facts`). The disk is listed before the facts are
/// read, so anything created after the listing is not judged at all, and anything created
/// just before it is protected by its age (`shortGrace`, `longGrace`).
///
/// ```swift
/// let rule = GarbageRule()
/// for item in items { if let reason = rule.reason(item, facts: facts) { remove(item.path, reason) } }
/// ```
package struct GarbageRule: Sendable, Hashable {
    /// Protects what a running build or rollout has just made (an unpacked slug before its
    /// dyno directory exists, a build log being finished), in seconds.
    package var shortGrace: TimeInterval
    /// Protects what has no record yet (a slug archive before its row, a stray partial file).
    package var longGrace: TimeInterval

    package init(shortGrace: TimeInterval = 3600, longGrace: TimeInterval = 24 * 3600) {
        self.shortGrace = shortGrace
        self.longGrace = longGrace
    }

    /// What the store (and the runtime) say, read after the disk was listed.
    package struct Facts: Sendable, Hashable {
        /// Every app, by name.
        package var appsByName: [String: UUID] = [:]
        /// Every app with an image-store uid, by that uid.
        package var appsByUID: [UInt32: UUID] = [:]
        /// Every app id.
        package var appIDs: Set<UUID> = []
        /// Every slug with a record, with its app.
        package var slugApps: [UUID: UUID] = [:]
        /// Slugs whose artifact retention removes (expired before, or expiring in this run).
        package var expiredSlugs: Set<UUID> = []
        /// Slugs a dyno needs unpacked: of current and pending releases, and fresh ones.
        package var liveSlugs: Set<UUID> = []
        /// Unpacked slugs a dyno directory names.
        package var slugsInUse: Set<UUID> = []
        /// Every build with a record, with its app.
        package var buildApps: [UUID: UUID] = [:]
        /// Builds still pending.
        package var pendingBuilds: Set<UUID> = []
        /// The time of the decision.
        package var now: Date

        package init(now: Date) { self.now = now }

        /// The app an item belongs to, when the facts say.
        package func app(of role: DiskItem.Role) -> UUID? {
            switch role {
            case .repo(let name), .cache(let name), .slugArchive(let name, _), .buildWorkspace(let name, _), .directory(let name, _):
                appsByName[name]
            case .slugTree(let slug): slug.flatMap { slugApps[$0] }
            case .imageStore(let uid): uid.flatMap { appsByUID[$0] }
            case .appLogs(let app): app.flatMap { appIDs.contains($0) ? $0 : nil }
            case .buildLog(let build), .stagedUpload(let build): build.flatMap { buildApps[$0] }
            }
        }
    }

    /// Why `item` is garbage, or nil when it must stay.
    package func reason(_ item: DiskItem, facts: Facts) -> String? {
        let age = facts.now.timeIntervalSince(item.modified)
        switch item.role {
        case .repo:
            return nil  // removed with its app (apps:destroy) only: a rename moves it non-atomically
        case .directory:
            return nil  // removed once empty, after its contents
        case .slugArchive(_, let slug):
            if let slug, facts.expiredSlugs.contains(slug) { return "expired slug" }
            if let slug, facts.slugApps[slug] != nil { return nil }
            return age > longGrace ? "slug archive without a record" : nil
        case .slugTree(let slug):
            guard let slug else { return age > longGrace ? "stray partial unpacking" : nil }
            if facts.slugsInUse.contains(slug) || facts.liveSlugs.contains(slug) { return nil }
            if facts.expiredSlugs.contains(slug) || facts.slugApps[slug] == nil { return "unpacked slug of an expired or removed slug" }
            return age > shortGrace ? "unpacked slug no dyno uses" : nil
        case .imageStore(let uid):
            guard let uid else { return nil }
            return facts.appsByUID[uid] == nil ? "image store of a destroyed app" : nil
        case .cache(let name):
            return facts.appsByName[name] == nil && age > shortGrace ? "build cache of a destroyed app" : nil
        case .appLogs(let app):
            guard let app else { return nil }
            return facts.appIDs.contains(app) || age < shortGrace ? nil : "log of a destroyed app"
        case .buildLog(let build), .stagedUpload(let build):
            return finishedBuildLeftover(build, age: age, facts: facts, what: item.kind == .logs ? "build log" : "staged upload")
        case .buildWorkspace(let name, let build):
            if facts.appsByName[name] == nil, age > shortGrace { return "build workspace of a destroyed app" }
            return finishedBuildLeftover(build, age: age, facts: facts, what: "build workspace")
        }
    }

    /// A build's file once the build is over (its output is in the store): after `shortGrace`;
    /// a pending build's after `longGrace` (its process died long ago).
    private func finishedBuildLeftover(_ build: UUID?, age: TimeInterval, facts: Facts, what: String) -> String? {
        if let build, facts.pendingBuilds.contains(build) { return age > longGrace ? "\(what) of an interrupted build" : nil }
        return age > shortGrace ? "\(what) of a finished build" : nil
    }
}
