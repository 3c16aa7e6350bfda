import Foundation
import OpenrukoCore
import Testing
import TestSupport

extension RuntimeEndToEnd {
    /// Retention and the disk with a real daemon and real pushes: 8 deploys under a rule of 3
    /// releases and 0 days leave exactly 3 slugs, rollback to an expired one is refused, the
    /// report agrees with `du -sb`, and a destroyed app leaves nothing under `DATA_DIR`.
    @Suite(.timeLimit(.minutes(10))) struct DiskRetentionTests {
        static let retain = ["OPENRUKO_RETAIN_RELEASES": "3", "OPENRUKO_RETAIN_DAYS": "0"]

        /// `git push` as `RuntimeFixture.push`, with the retention settings in the hook's environment.
        func push(_ fixture: RuntimeFixture, _ path: String, app: String) async throws -> ProcessResult {
            let invocation = GitService.receivePack.invocation(
                app: app, layout: DataLayout(root: fixture.dataDir), resources: Resources(root: OpenrukoBinary.packageRoot),
                pusher: fixture.userID, executable: OpenrukoBinary.path)
            let environment = invocation.environment.merging(Self.retain) { _, new in new }
            let command = (["env"] + environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                + [invocation.executable] + invocation.arguments.dropLast()).joined(separator: " ")
            return try await ProcessRunner.run(
                "/usr/bin/git", ["push", "--receive-pack=\(command)", invocation.arguments.last!, "main"], directory: path)
        }

        /// `openruko admin WORDS…` with the retention settings.
        func admin(_ fixture: RuntimeFixture, _ words: [String]) async throws -> ProcessResult {
            try await ProcessRunner.run(OpenrukoBinary.path, ["admin", "--data-dir", fixture.dataDir] + words, environment: Self.retain)
        }

        func du(_ path: String) async throws -> Int64 {
            let result = try await ProcessRunner.run("/usr/bin/du", ["-sb", path])
            return try #require(Int64(result.stdout.split(separator: "\t").first ?? ""))
        }

        @Test func manyDeploysKeepTheRetainedSlugsAndDestroyLeavesNothing() async throws {
            let fixture = try await RuntimeFixture.start(environment: Self.retain.merging(["OPENRUKO_GC_INTERVAL": "0"]) { _, new in new })
            defer { Task { await fixture.daemon.stop() } }
            try await fixture.admin(["apps:create", "keep"])
            // Given 8 pushes (v2–v9) of an app with no web process (no dynos to wait for)
            let repo = try await fixture.repository(["Procfile": "worker: sleep 1000\n", "n": "0\n"])
            for n in 1...8 {
                if n > 1 { try await fixture.change(repo, ["n": "\(n)\n"]) }
                let result = try await push(fixture, repo, app: "keep")
                #expect(result.status == 0, "push \(n): \(result.stderr)")
            }
            // Then exactly the slugs of v7–v9 are on disk, and v2–v6 read expired
            let listed = try await fixture.admin(["releases", "keep", "--json", "-n", "20"])
            let releases = try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]] ?? []
            let byVersion = Dictionary(uniqueKeysWithValues: releases.map { (($0["version"] as? Int) ?? 0, $0) })
            #expect((2...6).map { byVersion[$0]?["status"] as? String } == Array(repeating: "expired", count: 5))
            #expect((7...9).map { byVersion[$0]?["status"] as? String } == Array(repeating: "succeeded", count: 3))
            let kept = Set((7...9).compactMap { (byVersion[$0]?["slug_id"] as? String).map { $0.lowercased() + ".tgz" } })
            let slugs = fixture.dataDir + "/slugs/keep"
            let onDisk = Set(try FileManager.default.contentsOfDirectory(atPath: slugs))
            // (beside them, the compressed pieces of the last slug, which the next push reuses)
            #expect(onDisk == kept.union(["members"]), "\(listed.stdout)")
            #expect(kept.count == 3)

            // And rollback to an expired release is refused with the reason and the choices
            let refused = try await admin(fixture, ["rollback", "keep", "v3"])
            #expect(refused.status != 0)
            #expect(refused.stderr.contains("Release v3 has expired: its slug was removed (keep keeps the artifacts of its newest 3 releases"))
            #expect(refused.stderr.contains("Releases you can roll back to: v1, v7, v8."))

            // And the report's figures are du's
            let report = try await admin(fixture, ["disk", "keep", "--json"])
            let json = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])
            let app = try #require((json["apps"] as? [[String: Any]])?.first)
            let bytes = try #require(app["bytes"] as? [String: Int64])
            // (the slug pieces count as build cache: kept while the app lives, never garbage)
            let members = try await du(slugs + "/members")
            #expect(bytes["slugs"] == (try await du(slugs)) - members)
            #expect(bytes["repo"] == (try await du(fixture.dataDir + "/repos/keep.git")))
            #expect(bytes["cache"] == (try await du(fixture.dataDir + "/cache/keep")) + members)

            // When the app is destroyed, nothing of it is left under DATA_DIR
            let info = try await fixture.admin(["apps:info", "keep", "--json"]).stdout
            let appID = try #require(info.firstMatch(of: /"id" ?: "([0-9A-Fa-f-]{36})"/)?.1, "\(info)").lowercased()
            let slugIDs = releases.compactMap { ($0["slug_id"] as? String)?.lowercased() }
            try await fixture.admin(["apps:destroy", "keep", "--confirm", "keep"])
            let names = FileManager.default.enumerator(atPath: fixture.dataDir)?.compactMap { $0 as? String } ?? []
            let left = names.filter { path in
                path.contains("/keep") || path.hasPrefix("keep") || path.contains(appID) || slugIDs.contains { path.contains($0) }
            }
            #expect(left.isEmpty, "left behind: \(left)")
        }
    }
}
