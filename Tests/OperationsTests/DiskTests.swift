import Foundation
import OpenrukoCore
import Operations
import Store
import TestSupport
import Testing

/// Retention, garbage collection and the disk report on a real store and data directory
/// (no daemon): what stays, what goes, who sees what.
@Suite(.timeLimit(.minutes(5))) struct DiskTests {
    /// Writes a slug archive of `bytes` bytes, records it and deploys it.
    @discardableResult
    func deploy(_ installation: TestInstallation, _ app: App, bytes: Int = 1000, status: Release.Status? = nil) async throws -> Slug {
        let slug = try installation.store.createSlug(
            appID: app.id, processTypes: ["worker": "sleep 1"], size: Int64(bytes), checksum: "", commit: nil, commitDescription: nil,
            buildpackDescription: nil, stack: "host")
        let path = installation.layout.slug(app.name, id: slug.id.uuidString.lowercased())
        try FileManager.default.createDirectory(atPath: installation.layout.slugs(app.name), withIntermediateDirectories: true)
        try Data(repeating: 7, count: bytes).write(to: URL(fileURLWithPath: path))
        if let status {
            _ = try installation.store.createRelease(appID: app.id, slugID: slug.id, description: "x", actor: Attribution(userID: nil, email: "t@example.com"), status: status)
        } else {
            let actor = try installation.platform.attribution(.superuser)
            _ = try await installation.platform.deploy(app, slug: slug, actor: actor)
        }
        return slug
    }

    func slugFiles(_ installation: TestInstallation, _ app: App) -> Set<String> {
        Set(DiskUsage.names(installation.layout.slugs(app.name)))
    }

    @Test func collectionKeepsExactlyTheRetainedSlugsAndRefusesRollbackToTheRest() async throws {
        // Given 8 deploys (v2–v9)
        let installation = try TestInstallation()
        let (_, user) = try installation.seedUsers()
        let platform = installation.platform
        let app = try platform.createApp(name: "web1", owner: nil, as: .user(user))
        var slugs: [Slug] = []
        for _ in 0..<8 { slugs.append(try await deploy(installation, app)) }
        // When a collection runs with 3 releases and 0 days
        let result = try platform.collectGarbage(rule: RetentionRule(releases: 3, days: 0), dryRun: false, as: .superuser)
        // Then the newest 3 slugs stay, v2–v6 read expired, and rollback to them is refused
        #expect(slugFiles(installation, app) == Set(slugs.suffix(3).map { $0.id.uuidString.lowercased() + ".tgz" }))
        #expect(result.expired == ["web1": Array(2...6)])
        #expect(result.freed == 5 * 1000)
        let statuses = try platform.releases("web1", as: .user(user)).1.map { "v\($0.version) \($0.status.rawValue)" }
        #expect(statuses == ["v1 succeeded"] + (2...6).map { "v\($0) expired" } + (7...9).map { "v\($0) succeeded" })
        do {
            _ = try await platform.rollback("web1", to: 4, as: .user(user))
            Issue.record("rollback to an expired release succeeded")
        } catch {
            #expect(error.message.hasPrefix("Release v4 has expired: its slug was removed"))
            #expect(error.message.hasSuffix("Releases you can roll back to: v1, v7, v8."))
        }
        // And the store refuses too (a rollback racing the collection), as does a release of the slug
        #expect(throws: OpenrukoError.self) { try installation.store.rollback(appID: app.id, to: 4, actor: Attribution(userID: nil, email: "t@example.com"), status: .succeeded) }
        #expect(throws: OpenrukoError.self) {
            try installation.store.createRelease(appID: app.id, slugID: slugs[0].id, description: "x", actor: Attribution(userID: nil, email: "t@example.com"), status: .pending)
        }
        let rolled = try await platform.rollback("web1", to: 8, as: .user(user))
        #expect(rolled.status == .succeeded)
    }

    @Test func theSlugMemberCacheIsABuildCacheNotAStraySlug() async throws {
        // Given an app with a slug and its member cache, untouched for a year
        let installation = try TestInstallation()
        let (_, user) = try installation.seedUsers()
        let app = try installation.platform.createApp(name: "web1", owner: nil, as: .user(user))
        try await deploy(installation, app)
        let members = installation.layout.slugMembers(app.name)
        try FileManager.default.createDirectory(atPath: members, withIntermediateDirectories: true)
        try Data(repeating: 1, count: 100).write(to: URL(fileURLWithPath: members + "/abc.6.gz"))
        let old = Date().addingTimeInterval(-365 * 86400)
        try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: members)
        // When a collection runs, it stays (a build cache of a live app); when the app goes, it goes
        _ = try installation.platform.collectGarbage(rule: RetentionRule(releases: 1, days: 0), dryRun: false, as: .superuser)
        #expect(FileManager.default.fileExists(atPath: members + "/abc.6.gz"))
        _ = try await installation.platform.destroyApp("web1", confirm: "web1", as: .user(user))
        #expect(!FileManager.default.fileExists(atPath: members))
    }

    @Test func theCurrentAndAPendingDeploysSlugsSurviveTheStrictestRule() async throws {
        // Given a current release and a deploy under way (its release pending)
        let installation = try TestInstallation()
        let platform = installation.platform
        let (admin, _) = try installation.seedUsers()
        let app = try platform.createApp(name: "web1", owner: nil, as: .user(admin))
        let old = try await deploy(installation, app)
        let current = try await deploy(installation, app)
        let pending = try await deploy(installation, app, status: .pending)
        // When a collection keeps nothing by rank or age
        _ = try platform.collectGarbage(rule: RetentionRule(releases: 0, days: 0), dryRun: false, as: .user(admin))
        // Then only the old slug went
        #expect(slugFiles(installation, app) == Set([current, pending].map { $0.id.uuidString.lowercased() + ".tgz" }))
        #expect(!slugFiles(installation, app).contains(old.id.uuidString.lowercased() + ".tgz"))
    }

    @Test func aDryRunChangesNothing() async throws {
        let installation = try TestInstallation()
        let platform = installation.platform
        let (admin, _) = try installation.seedUsers()
        let app = try platform.createApp(name: "web1", owner: nil, as: .user(admin))
        for _ in 0..<3 { try await deploy(installation, app) }
        let result = try platform.collectGarbage(rule: RetentionRule(releases: 1, days: 0), dryRun: true, as: .superuser)
        #expect(result.removed.count == 2 && result.freed == 2000)
        #expect(slugFiles(installation, app).count == 3)
        #expect(try platform.releases("web1", as: .user(admin)).1.allSatisfy { $0.status == .succeeded })
        let report = try platform.diskReport(app: "web1", rule: RetentionRule(releases: 1, days: 0), as: .user(admin))
        #expect(report.reclaimable == 2000)
    }

    @Test func tenantsSeeOnlyTheirAppAndOnlyAdminsCollect() async throws {
        let installation = try TestInstallation()
        let platform = installation.platform
        let (admin, user) = try installation.seedUsers()
        let mine = try platform.createApp(name: "mine", owner: nil, as: .user(user))
        let theirs = try platform.createApp(name: "theirs", owner: nil, as: .user(admin))
        try await deploy(installation, mine, bytes: 100)
        try await deploy(installation, theirs, bytes: 5000)
        // A tenant's link to another app's slugs (or /etc) counts as a link, not what it names
        let cache = installation.layout.cache("mine")
        try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: cache + "/peek", withDestinationPath: installation.layout.slugs("theirs"))
        let report = try platform.diskReport(app: "mine", rule: RetentionRule(), as: .user(user))
        #expect(report.apps.map(\.name) == ["mine"])
        #expect(report.apps[0].bytes["slugs"] == DiskUsage.bytes(installation.layout.slugs("mine")))
        #expect(report.apps[0].bytes["cache"] == DiskUsage.bytes(cache))
        #expect(report.largest.allSatisfy { $0.app == "mine" && !$0.path.contains("theirs") })
        #expect(report.total == nil && report.dataDir == nil)
        // Another app reads as missing, whether it exists or not; the platform report and gc are admins'
        for name in ["theirs", "nosuchapp"] {
            #expect(throws: OpenrukoError.self) { try platform.diskReport(app: name, rule: RetentionRule(), as: .user(user)) }
        }
        #expect(throws: OpenrukoError.self) { try platform.diskReport(app: nil, rule: RetentionRule(), as: .user(user)) }
        #expect(throws: OpenrukoError.self) { try platform.collectGarbage(rule: RetentionRule(), dryRun: true, as: .user(user)) }
        let all = try platform.diskReport(app: nil, rule: RetentionRule(), as: .user(admin))
        #expect(Set(all.apps.map(\.name)) == ["mine", "theirs"])
        #expect(all.total == DiskUsage.bytes(installation.layout.root))
    }

    @Test func destroyingAnAppLeavesNothingOfIt() async throws {
        let installation = try TestInstallation()
        let platform = installation.platform
        let (admin, _) = try installation.seedUsers()
        let app = try platform.createApp(name: "doomed", owner: nil, as: .user(admin))
        let slug = try await deploy(installation, app)
        let layout = installation.layout
        let id = app.id.uuidString.lowercased()
        for directory in [
            layout.cache("doomed") + "/pip", layout.unpackedSlugs + "/" + slug.id.uuidString.lowercased() + "/bin",
            layout.appLogDirectory(id), layout.builds + "/doomed/x", layout.appImageStores + "/\(app.sandboxUID ?? 0)/storage",
        ] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try Data("data".utf8).write(to: URL(fileURLWithPath: directory + "/file"))
        }
        _ = try await platform.destroyApp("doomed", confirm: "doomed", as: .user(admin))
        let left = FileManager.default.enumerator(atPath: layout.root)?.compactMap { $0 as? String }
            .filter { $0.contains("doomed") || $0.contains(id) || $0.contains(slug.id.uuidString.lowercased()) } ?? []
        #expect(left.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: layout.appImageStores + "/\(app.sandboxUID ?? 0)"))
    }

    @Test func aNewAppNeverInheritsTheDataOfAGoneAppOfItsName() async throws {
        // Given what a destroy cut short by an older openruko left under a name: a repository with
        // a branch, a slug, a build cache and a workspace
        let installation = try TestInstallation()
        let platform = installation.platform
        let (admin, _) = try installation.seedUsers()
        let layout = installation.layout
        let work = TemporaryDirectory("openruko-debris")
        for arguments in [["init", "-q", "--bare", layout.repo("reborn")], ["init", "-q", "-b", "main", work.path],
                          ["-C", work.path, "-c", "user.email=a@b", "-c", "user.name=a", "commit", "-q", "--allow-empty", "-m", "secret"],
                          ["-C", work.path, "push", "-q", layout.repo("reborn"), "main"]] {
            let result = try await ProcessRunner.run("/usr/bin/git", arguments)
            try #require(result.status == 0, "\(arguments): \(result.stderr)")
        }
        for directory in [layout.slugs("reborn"), layout.cache("reborn") + "/pip", layout.builds + "/reborn/x"] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try Data("old".utf8).write(to: URL(fileURLWithPath: directory + "/file"))
        }
        // When a new app takes the name
        _ = try platform.createApp(name: "reborn", owner: nil, as: .user(admin))
        // Then the old repository's branch and objects are gone (the repository store here is a
        // fake that writes nothing), and nothing else of the old app is there
        for path in [layout.repo("reborn") + "/refs/heads/main", layout.repo("reborn") + "/objects", layout.slugs("reborn"), layout.cache("reborn"),
                     layout.builds + "/reborn"] {
            #expect(!FileManager.default.fileExists(atPath: path), "\(path)")
        }
    }

    @Test func collectionNeverRemovesWhatATenantsLinksName() async throws {
        // Given another app's slug and a host file, and a tenant's leftovers full of links to them
        let installation = try TestInstallation()
        let platform = installation.platform
        let (admin, _) = try installation.seedUsers()
        let victim = try platform.createApp(name: "victim", owner: nil, as: .user(admin))
        let slug = try await deploy(installation, victim, bytes: 321)
        let victimSlug = installation.layout.slug("victim", id: slug.id.uuidString.lowercased())
        let outside = TemporaryDirectory("openruko-outside")
        try Data("host's".utf8).write(to: URL(fileURLWithPath: outside.appending("secret")))
        let layout = installation.layout
        let workspace = layout.builds + "/gone/" + UUID().uuidString.lowercased()  // a destroyed app's build workspace
        let cache = layout.cache("gone")  // a destroyed app's cache
        let linkedWorkspace = layout.builds + "/victim/" + UUID().uuidString.lowercased()  // a workspace that is a link itself
        for directory in [workspace + "/app/deep", cache + "/dir"] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            for (name, target) in [("slug", victimSlug), ("slugs", layout.slugs("victim")), ("outside", outside.path), ("root", "/")] {
                try FileManager.default.createSymbolicLink(atPath: directory + "/" + name, withDestinationPath: target)
            }
        }
        try FileManager.default.createDirectory(atPath: layout.builds + "/victim", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: linkedWorkspace, withDestinationPath: layout.slugs("victim"))
        for path in [workspace, cache, linkedWorkspace] {
            let aged = try await ProcessRunner.run("/usr/bin/touch", ["-h", "-d", "3 days ago", path])
            try #require(aged.status == 0, "\(aged.stderr)")
        }
        // When a collection runs
        let result = try platform.collectGarbage(rule: RetentionRule(), dryRun: false, as: .superuser)
        // Then the leftovers are gone, and nothing their links named
        let removed = Set(result.removed.map(\.path))
        #expect(removed.isSuperset(of: ["cache/gone", "builds/victim/" + (linkedWorkspace as NSString).lastPathComponent]), "\(removed)")
        #expect(removed.contains { $0.hasPrefix("builds/gone/") }, "\(removed)")
        for path in [workspace, cache, linkedWorkspace] { #expect(DiskUsage.modified(path) == nil, "\(path) is left") }
        #expect(DiskUsage.regularFileSize(victimSlug) == 321)
        #expect((try? String(contentsOfFile: outside.appending("secret"), encoding: .utf8)) == "host's")
        #expect(FileManager.default.fileExists(atPath: "/etc/passwd"))
    }

    @Test func usageMatchesDuAndNeverFollowsLinks() async throws {
        let directory = TemporaryDirectory("openruko-du")
        let root = directory.appending("tree")
        try FileManager.default.createDirectory(atPath: root + "/a/b", withIntermediateDirectories: true)
        try Data(repeating: 1, count: 12345).write(to: URL(fileURLWithPath: root + "/a/b/f"))
        try Data(repeating: 1, count: 99).write(to: URL(fileURLWithPath: root + "/g"))
        try FileManager.default.linkItem(atPath: root + "/g", toPath: root + "/a/hard")
        try FileManager.default.createSymbolicLink(atPath: root + "/etc", withDestinationPath: "/etc")
        let du = try await ProcessRunner.run("/usr/bin/du", ["-sb", root])
        #expect(DiskUsage.bytes(root) == Int64(du.stdout.split(separator: "\t").first ?? ""))
        // Removing never goes through the link
        #expect(DiskUsage.remove(root) == Int64(du.stdout.split(separator: "\t").first ?? ""))
        #expect(FileManager.default.fileExists(atPath: "/etc/hostname") || FileManager.default.fileExists(atPath: "/etc/passwd"))
        #expect(!FileManager.default.fileExists(atPath: root))
    }
}
