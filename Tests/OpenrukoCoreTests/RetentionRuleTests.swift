import Foundation
import OpenrukoCore
import Testing

/// Heroku's retention rule as a pure decision: which slugs expire, which stay.
@Suite(.timeLimit(.minutes(1))) struct RetentionRuleTests {
    let now = Date(timeIntervalSince1970: 2_000_000_000)
    func daysAgo(_ days: Double) -> Date { now.addingTimeInterval(-days * 86_400) }

    /// `count` deploys, one a day, oldest first: v1 is the slugless initial release.
    func history(_ count: Int) -> (releases: [RetentionRule.ReleaseFact], slugs: [RetentionRule.SlugFact], ids: [UUID]) {
        let ids = (0..<count).map { _ in UUID() }
        var releases = [RetentionRule.ReleaseFact(version: 1, slugID: nil, status: .succeeded, createdAt: daysAgo(Double(count + 1)))]
        var slugs: [RetentionRule.SlugFact] = []
        for (i, id) in ids.enumerated() {
            let created = daysAgo(Double(count - i))
            releases.append(RetentionRule.ReleaseFact(version: i + 2, slugID: id, status: .succeeded, createdAt: created))
            slugs.append(RetentionRule.SlugFact(id: id, createdAt: created, expired: false))
        }
        return (releases, slugs, ids)
    }

    @Test func keepsTheNewestReleasesAndTheYoungOnes() {
        // Given 50 daily deploys and Heroku's 20 releases / 30 days
        let (releases, slugs, ids) = history(50)
        // When the rule decides
        let decision = RetentionRule(releases: 20, days: 30).decide(releases: releases, slugs: slugs, now: now)
        // Then the slugs of the last 30 days (more than 20 releases) stay, the older ones expire
        #expect(decision.kept == Set(ids.suffix(29)))
        #expect(decision.expiring == Set(ids.prefix(21)))
        #expect(decision.expiredVersions == Array(2...22))
        #expect(decision.expiringVersions == Array(2...22))
        #expect(decision.rollbackable == [1] + Array(23...50))
    }

    @Test func newestCountWinsWhenDaysAreZero() {
        let (releases, slugs, ids) = history(8)
        let decision = RetentionRule(releases: 3, days: 0).decide(releases: releases, slugs: slugs, now: now)
        #expect(decision.kept == Set(ids.suffix(3)))
        #expect(decision.expiredVersions == Array(2...6))
    }

    @Test func theCurrentAndPendingReleasesAlwaysKeepTheirSlug() {
        // Given v2 current (v3–v5 failed) and a pending v6 (a rollout under way)
        let (old, current, failed, pending) = (UUID(), UUID(), UUID(), UUID())
        let releases = [
            RetentionRule.ReleaseFact(version: 1, slugID: old, status: .succeeded, createdAt: daysAgo(90)),
            RetentionRule.ReleaseFact(version: 2, slugID: current, status: .succeeded, createdAt: daysAgo(80)),
            RetentionRule.ReleaseFact(version: 3, slugID: failed, status: .failed, createdAt: daysAgo(70)),
            RetentionRule.ReleaseFact(version: 4, slugID: failed, status: .failed, createdAt: daysAgo(70)),
            RetentionRule.ReleaseFact(version: 5, slugID: failed, status: .failed, createdAt: daysAgo(70)),
            RetentionRule.ReleaseFact(version: 6, slugID: pending, status: .pending, createdAt: daysAgo(60)),
        ]
        let slugs = [old, current, failed, pending].map { RetentionRule.SlugFact(id: $0, createdAt: daysAgo(90), expired: false) }
        // When nothing is kept by rank or age
        let decision = RetentionRule(releases: 0, days: 0).decide(releases: releases, slugs: slugs, now: now)
        // Then only the current and pending slugs stay; failed releases do not read expired
        #expect(decision.kept == [current, pending])
        #expect(decision.expiring == [old, failed])
        #expect(decision.expiredVersions == [1])
        #expect(decision.rollbackable == [])
    }

    @Test func aSlugSharedWithAKeptReleaseStays() {
        // Given v2 a deploy and v3–v5 config changes on its slug
        let slug = UUID()
        let releases = (2...5).map { RetentionRule.ReleaseFact(version: $0, slugID: slug, status: .succeeded, createdAt: daysAgo(100)) }
        let decision = RetentionRule(releases: 1, days: 0)
            .decide(releases: releases, slugs: [.init(id: slug, createdAt: daysAgo(100), expired: false)], now: now)
        #expect(decision.kept == [slug])
        #expect(decision.expiredVersions.isEmpty)
        #expect(decision.rollbackable == [2, 3, 4])
    }

    @Test func anUnreleasedSlugIsKeptForItsGraceOnly() {
        // Given a build that wrote its slug but has not created its release yet
        let fresh = UUID()
        let stale = UUID()
        let slugs = [
            RetentionRule.SlugFact(id: fresh, createdAt: now.addingTimeInterval(-60), expired: false),
            RetentionRule.SlugFact(id: stale, createdAt: daysAgo(2), expired: false),
        ]
        let decision = RetentionRule(releases: 0, days: 0).decide(releases: [], slugs: slugs, now: now)
        #expect(decision.kept == [fresh])
        #expect(decision.expiring == [stale])
    }

    @Test func expiryIsForGoodAndPinsCannotUndoIt() {
        let slug = UUID()
        let releases = [RetentionRule.ReleaseFact(version: 2, slugID: slug, status: .succeeded, createdAt: now)]
        let decision = RetentionRule().decide(
            releases: releases, slugs: [.init(id: slug, createdAt: now, expired: true)], pinned: [slug], now: now)
        #expect(decision.kept.isEmpty)
        #expect(decision.expiring.isEmpty)
        #expect(decision.expired == [slug])
    }

    @Test func settingsComeFromTheEnvironment() throws {
        #expect(try RetentionRule.from(environment: [:]) == RetentionRule(releases: 20, days: 30))
        let rule = try RetentionRule.from(environment: ["OPENRUKO_RETAIN_RELEASES": "3", "OPENRUKO_RETAIN_DAYS": "0"])
        #expect(rule.releases == 3 && rule.days == 0)
        #expect(throws: OpenrukoError.self) { try RetentionRule.from(environment: ["OPENRUKO_RETAIN_DAYS": "-1"]) }
        #expect(throws: OpenrukoError.self) { try RetentionRule.from(environment: ["OPENRUKO_RETAIN_RELEASES": "many"]) }
    }

    @Test func theRefusalSaysWhyAndWhereToGo() {
        let text = RetentionRule(releases: 3, days: 0).rollbackRefusal(app: "web1", version: 2, rollbackable: [7, 8])
        #expect(text == "Release v2 has expired: its slug was removed (web1 keeps the artifacts of its newest 3 releases "
            + "and of those younger than 0 days). Releases you can roll back to: v7, v8.")
    }
}
