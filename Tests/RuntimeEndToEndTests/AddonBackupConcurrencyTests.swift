import Foundation
import Testing
import TestSupport

extension RuntimeEndToEnd {
    /// Captures of one database at the same time (two `pg:backups:capture` over SSH, run by the
    /// daemon, and one by `openruko admin`, a process of its own) on a real daemon and
    /// PostgreSQL: each gets a backup number of its own, every backup is kept whole and readable,
    /// and none overwrote another.
    @Suite(.timeLimit(.minutes(15))) struct AddonBackupConcurrencyTests {
        typealias Addons = AddonTests

        /// The backup id a capture printed (`Backing up ADDON to b002... done (…)`).
        static func capturedID(_ output: String) -> String? {
            guard let range = output.range(of: " to ") else { return nil }
            return output[range.upperBound...].prefix { $0 != "." }.description
        }

        @Test func capturesAtOnceTakeDistinctNumbersAndKeepEveryBackup() async throws {
            let fixture = try await RuntimeFixture.start()
            do {
                try await fixture.admin(["apps:create", "shop"])
                try await fixture.admin(["addons:create", "shop", "heroku-postgresql"])
                // A table, so that each dump takes a moment (written as the server's admin)
                try await AddonTests.asServerAdmin(fixture, "shop", "CREATE TABLE orders AS SELECT n, md5(n::text) AS code FROM generate_series(1, 200000) n")

                let sshPort = try #require(fixture.daemon.ready["ssh"].flatMap { $0.split(separator: ":").last }.flatMap { Int($0) })
                let key = try await TestKey.generate("ed25519", in: fixture.directory.path, name: "owner")
                try await fixture.admin(["keys:add", "--user", "dev@example.com"], input: key.publicKey)
                let owner = SSHClient(port: sshPort, key: key)

                // When three captures of the same database start together
                async let first = owner.run("pg:backups:capture shop")
                async let second = owner.run("pg:backups:capture shop DATABASE")
                async let third = fixture.admin(["pg:backups:capture", "shop"], allowFailure: true)
                let results = try await [first, second, third]
                for result in results { #expect(result.status == 0, "\(result.stdout) \(result.stderr)") }

                // Then each printed a number of its own, and the three backups are all kept
                let ids = results.compactMap { Self.capturedID($0.stdout) }
                #expect(Set(ids) == ["b001", "b002", "b003"], "\(results.map(\.stdout))")
                let listed = try await fixture.admin(["pg:backups", "shop"]).stdout
                for id in ["b001", "b002", "b003"] { #expect(listed.contains(id), "\(listed)") }
                let backups = fixture.dataDir + "/backups"
                let names = try FileManager.default.contentsOfDirectory(atPath: backups)
                #expect(!names.contains { $0.hasSuffix(".partial") }, "no half-written dump is left: \(names)")
                // (and each is a whole dump of the table: none was written over by another capture)
                for id in ["b001", "b002", "b003"] {
                    let file = try #require(names.first { $0.hasSuffix("-\(id).dump") }, "\(names)")
                    let read = try await ProcessRunner.run("/usr/lib/postgresql/15/bin/pg_restore", ["-l", backups + "/" + file])
                    #expect(read.status == 0 && read.stdout.contains("TABLE DATA public orders"), "\(id): \(read.stderr)")
                }
            } catch {
                await Addons.finish(fixture)
                throw error
            }
            await Addons.finish(fixture)
        }
    }
}
