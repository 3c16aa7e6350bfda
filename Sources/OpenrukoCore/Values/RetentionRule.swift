package import Foundation

/// Heroku's retention rule for release artifacts, as a pure decision: a release's slug (or
/// images) is kept while the release is among the app's newest `releases` or younger than
/// `days` days, and always while it is current or pending (the target of a running rollout).
/// A slug no release refers to yet (a build between writing its slug and creating its
/// release) is kept for `unreleasedGrace`. Expiry is for good: an expired slug stays expired.
///
/// ```swift
/// let rule = RetentionRule(releases: 20, days: 30)
/// let decision = rule.decide(releases: facts, slugs: slugs, now: Date())
/// for id in decision.expiring { /* mark expired, then delete the archive */ }
/// ```
package struct RetentionRule: Sendable, Hashable, Codable {
    /// How many of the newest releases keep their artifact (`OPENRUKO_RETAIN_RELEASES`).
    package var releases: Int
    /// How many days a release keeps its artifact whatever its rank (`OPENRUKO_RETAIN_DAYS`).
    package var days: Int
    /// How long a slug that no release refers to is kept, in seconds.
    package var unreleasedGrace: TimeInterval

    package init(releases: Int = 20, days: Int = 30, unreleasedGrace: TimeInterval = 24 * 3600) {
        self.releases = max(0, releases)
        self.days = max(0, days)
        self.unreleasedGrace = unreleasedGrace
    }

    /// The rule from `OPENRUKO_RETAIN_RELEASES` and `OPENRUKO_RETAIN_DAYS` (Heroku's 20 and 30
    /// by default).
    /// - Throws: `OpenrukoError.invalid` for a value that is not a whole number ≥ 0.
    package static func from(environment: [String: String]) throws(OpenrukoError) -> RetentionRule {
        func number(_ name: String, _ fallback: Int) throws(OpenrukoError) -> Int {
            guard let text = environment[name] else { return fallback }
            guard let value = Int(text), value >= 0 else {
                throw OpenrukoError(.invalid, "\(name) must be a whole number ≥ 0, not \(text.debugDescription).")
            }
            return value
        }
        return RetentionRule(releases: try number("OPENRUKO_RETAIN_RELEASES", 20), days: try number("OPENRUKO_RETAIN_DAYS", 30))
    }

    /// What the rule needs to know of one release.
    package struct ReleaseFact: Sendable, Hashable {
        package var version: Int
        package var slugID: UUID?
        package var status: Release.Status
        package var createdAt: Date

        package init(version: Int, slugID: UUID?, status: Release.Status, createdAt: Date) {
            self.version = version
            self.slugID = slugID
            self.status = status
            self.createdAt = createdAt
        }
    }

    /// What the rule needs to know of one slug.
    package struct SlugFact: Sendable, Hashable {
        package var id: UUID
        package var createdAt: Date
        package var expired: Bool

        package init(id: UUID, createdAt: Date, expired: Bool) {
            self.id = id
            self.createdAt = createdAt
            self.expired = expired
        }
    }

    /// The rule's answer for one app.
    package struct Decision: Sendable, Hashable {
        /// Slugs whose artifact must stay.
        package var kept: Set<UUID>
        /// Slugs that expire now (not expired before).
        package var expiring: Set<UUID>
        /// Every slug whose artifact is garbage (expired before or now).
        package var expired: Set<UUID>
        /// Versions that read `expired` once this decision is applied.
        package var expiredVersions: [Int]
        /// Those of `expiredVersions` that expire with this decision.
        package var expiringVersions: [Int]
        /// Versions an app can still be rolled back to (succeeded, artifact kept, not current).
        package var rollbackable: [Int]
    }

    /// Decides one app's artifacts.
    /// - Parameters:
    ///   - releases: every release of the app (any order).
    ///   - slugs: every slug of the app.
    ///   - pinned: slugs that must stay whatever the rule says (in use by a dyno, say).
    ///   - now: the time of the decision.
    package func decide(releases: [ReleaseFact], slugs: [SlugFact], pinned: Set<UUID> = [], now: Date) -> Decision {
        let byVersion = releases.sorted { $0.version > $1.version }
        let current = byVersion.first { $0.status == .succeeded }?.version
        let horizon = now.addingTimeInterval(-Double(days) * 24 * 3600)
        var kept = pinned
        for (rank, release) in byVersion.enumerated() {
            guard let slug = release.slugID else { continue }
            let keep = rank < self.releases || release.createdAt > horizon || release.version == current || release.status == .pending
            if keep { kept.insert(slug) }
        }
        let referenced = Set(releases.compactMap(\.slugID))
        var expiring: Set<UUID> = []
        var expired: Set<UUID> = []
        for slug in slugs {
            if slug.expired {
                expired.insert(slug.id)
                kept.remove(slug.id)  // for good: its archive is gone
                continue
            }
            let unreleased = !referenced.contains(slug.id) && slug.createdAt > now.addingTimeInterval(-unreleasedGrace)
            if unreleased { kept.insert(slug.id) }
            if !kept.contains(slug.id) {
                expiring.insert(slug.id)
                expired.insert(slug.id)
            }
        }
        let expiredVersions = byVersion.reversed().filter { release in
            release.status == .succeeded && release.slugID.map(expired.contains) == true
        }.map(\.version)
        let expiringVersions = byVersion.reversed().filter { release in
            release.status == .succeeded && release.slugID.map(expiring.contains) == true
        }.map(\.version)
        let rollbackable = byVersion.reversed().filter { release in
            release.status == .succeeded && release.version != current && release.slugID.map(expired.contains) != true
        }.map(\.version)
        return Decision(
            kept: kept, expiring: expiring, expired: expired, expiredVersions: expiredVersions, expiringVersions: expiringVersions,
            rollbackable: rollbackable)
    }

    /// The refusal of a rollback to an expired release, naming the versions that remain.
    package func rollbackRefusal(app: String, version: Int, rollbackable: [Int]) -> String {
        let rule = "\(app) keeps the artifacts of its newest \(releases) releases and of those younger than \(days) days"
        let choices = rollbackable.isEmpty ? "There is no earlier release to roll back to." :
            "Releases you can roll back to: \(rollbackable.map { "v\($0)" }.joined(separator: ", "))."
        return "Release v\(version) has expired: its slug was removed (\(rule)). \(choices)"
    }
}
