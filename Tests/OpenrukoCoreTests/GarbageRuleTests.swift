import Foundation
import OpenrukoCore
import Testing

/// Which files are garbage: only what openruko wrote and no record, dyno or build needs.
@Suite(.timeLimit(.minutes(1))) struct GarbageRuleTests {
    let now = Date(timeIntervalSince1970: 2_000_000_000)
    let rule = GarbageRule(shortGrace: 3600, longGrace: 86_400)
    let app = UUID()

    func item(_ role: DiskItem.Role, age: TimeInterval = 7 * 86_400) -> DiskItem {
        DiskItem(role: role, path: "x", bytes: 10, modified: now.addingTimeInterval(-age))
    }

    func facts() -> GarbageRule.Facts {
        var facts = GarbageRule.Facts(now: now)
        facts.appsByName = ["web1": app]
        facts.appsByUID = [100_000: app]
        facts.appIDs = [app]
        return facts
    }

    @Test func slugArchivesGoWhenExpiredOrUnrecordedAndOld() {
        var facts = facts()
        let (kept, expired, unknown) = (UUID(), UUID(), UUID())
        facts.slugApps = [kept: app, expired: app]
        facts.expiredSlugs = [expired]
        #expect(rule.reason(item(.slugArchive(app: "web1", slug: kept)), facts: facts) == nil)
        #expect(rule.reason(item(.slugArchive(app: "web1", slug: expired)), facts: facts) == "expired slug")
        #expect(rule.reason(item(.slugArchive(app: "web1", slug: unknown)), facts: facts) != nil)
        // A slug being written before its record exists is young: it stays
        #expect(rule.reason(item(.slugArchive(app: "web1", slug: unknown), age: 600), facts: facts) == nil)
    }

    @Test func unpackedSlugsStayWhileADynoOrARolloutNeedsThem() {
        var facts = facts()
        let (used, live, old) = (UUID(), UUID(), UUID())
        facts.slugApps = [used: app, live: app, old: app]
        facts.slugsInUse = [used]
        facts.liveSlugs = [live]
        #expect(rule.reason(item(.slugTree(slug: used)), facts: facts) == nil)
        #expect(rule.reason(item(.slugTree(slug: live)), facts: facts) == nil)
        #expect(rule.reason(item(.slugTree(slug: old)), facts: facts) != nil)
        #expect(rule.reason(item(.slugTree(slug: old), age: 60), facts: facts) == nil)
        #expect(rule.reason(item(.slugTree(slug: nil), age: 60), facts: facts) == nil)  // an extraction in progress
    }

    @Test func buildLeftoversGoOnceTheBuildIsOver() {
        var facts = facts()
        let (pending, done) = (UUID(), UUID())
        facts.buildApps = [pending: app, done: app]
        facts.pendingBuilds = [pending]
        for role: DiskItem.Role in [.buildLog(build: done), .stagedUpload(build: done), .buildWorkspace(app: "web1", build: done)] {
            #expect(rule.reason(item(role), facts: facts) != nil)
            #expect(rule.reason(item(role, age: 60), facts: facts) == nil)
        }
        #expect(rule.reason(item(.buildLog(build: pending), age: 7200), facts: facts) == nil)
        #expect(rule.reason(item(.buildLog(build: pending), age: 2 * 86_400), facts: facts) != nil)
    }

    @Test func leftoversOfDestroyedAppsGoAndLiveAppsKeepTheirs() {
        let facts = facts()
        #expect(rule.reason(item(.imageStore(uid: 100_000)), facts: facts) == nil)
        #expect(rule.reason(item(.imageStore(uid: 100_001)), facts: facts) != nil)
        #expect(rule.reason(item(.imageStore(uid: nil)), facts: facts) == nil)  // not a name openruko gives
        #expect(rule.reason(item(.cache(app: "web1")), facts: facts) == nil)
        #expect(rule.reason(item(.cache(app: "gone")), facts: facts) != nil)
        #expect(rule.reason(item(.appLogs(app: app)), facts: facts) == nil)
        #expect(rule.reason(item(.appLogs(app: UUID())), facts: facts) != nil)
        #expect(rule.reason(item(.repo(app: "gone")), facts: facts) == nil)  // only apps:destroy removes a repository
    }

    @Test func itemsBelongToTheirApp() {
        var facts = facts()
        let slug = UUID()
        facts.slugApps = [slug: app]
        #expect(facts.app(of: .slugTree(slug: slug)) == app)
        #expect(facts.app(of: .imageStore(uid: 100_000)) == app)
        #expect(facts.app(of: .cache(app: "other")) == nil)
    }
}
