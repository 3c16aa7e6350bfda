import Foundation
import Testing
import TestSupport

extension RuntimeEndToEnd {
    /// `pg:backups:download` over real SSH: a dump of some megabytes, byte for byte, that
    /// `pg_restore` reads; the newest by default; refused to another tenant, on a terminal,
    /// and for malformed or unknown backup ids, with no byte written.
    @Suite(.timeLimit(.minutes(15))) struct AddonBackupDownloadTests {
        typealias Addons = AddonTests

        @Test func downloadWritesTheDumpToStdoutOverSSHForTheAppsUsersOnly() async throws {
            let fixture = try await RuntimeFixture.start()
            do {
                try await fixture.admin(["apps:create", "shop"])
                try await fixture.admin(["addons:create", "shop", "heroku-postgresql"])
                // A table of some megabytes (written as the server's admin)
                try await AddonTests.asServerAdmin(fixture, "shop", "CREATE TABLE orders AS SELECT n, md5(n::text) || md5((n * 7)::text) AS code FROM generate_series(1, 400000) n")
                try await fixture.admin(["pg:backups:capture", "shop"])
                let kept = try #require(
                    try FileManager.default.contentsOfDirectory(atPath: fixture.dataDir + "/backups").first { $0.hasSuffix("-b001.dump") })

                let sshPort = try #require(fixture.daemon.ready["ssh"].flatMap { $0.split(separator: ":").last }.flatMap { Int($0) })
                let ownerKey = try await TestKey.generate("ed25519", in: fixture.directory.path, name: "owner")
                try await fixture.admin(["keys:add", "--user", "dev@example.com"], input: ownerKey.publicKey)
                try await fixture.admin(["users:create", "mallory@example.com"])
                let malloryKey = try await TestKey.generate("ed25519", in: fixture.directory.path, name: "mallory")
                try await fixture.admin(["keys:add", "--user", "mallory@example.com"], input: malloryKey.publicKey)
                let owner = SSHClient(port: sshPort, key: ownerKey)
                let mallory = SSHClient(port: sshPort, key: malloryKey)

                // `ssh git@host pg:backups:download shop b001 > latest.dump`: the kept file, byte for byte
                let dump = fixture.directory.appending("latest.dump")
                let downloaded = try await ProcessRunner.run(
                    "/bin/bash", ["-c", "exec \"$@\" > " + dump, "ssh", "/usr/bin/ssh"] + owner.options + ["git@127.0.0.1", "pg:backups:download shop B001"])
                #expect(downloaded.status == 0, "\(downloaded.stderr)")
                let same = try await ProcessRunner.run("/usr/bin/cmp", [dump, fixture.dataDir + "/backups/" + kept])
                #expect(same.status == 0, "\(same.stdout)")
                let size = (try FileManager.default.attributesOfItem(atPath: dump)[.size] as? NSNumber)?.intValue ?? 0
                #expect(size > 4 << 20, "a dump of some megabytes: \(size)")
                let listed = try await ProcessRunner.run("/usr/lib/postgresql/15/bin/pg_restore", ["-l", dump])
                #expect(listed.status == 0 && listed.stdout.contains("TABLE DATA public orders"), "\(listed.stdout) \(listed.stderr)")
                // The newest by default
                let newest = try await ProcessRunner.run(
                    "/bin/bash", ["-c", "\"$@\" | cmp - \"$0\"", fixture.dataDir + "/backups/" + kept, "/usr/bin/ssh"] + owner.options
                        + ["git@127.0.0.1", "pg:backups:download shop"])
                #expect(newest.status == 0, "\(newest.stdout) \(newest.stderr)")

                // Another tenant, a terminal, malformed and unknown ids: refused with a message, no bytes
                let refused = try await mallory.run("pg:backups:download shop b001")
                #expect(refused.status != 0 && refused.stderr.contains("Couldn't find that app") && refused.stdout.isEmpty, "\(refused.stderr)")
                let terminal = try await owner.run("pg:backups:download shop b001", extra: ["-tt"])
                #expect(terminal.status != 0 && (terminal.stdout + terminal.stderr).contains("without -t"), "\(terminal.stdout)")
                for (id, says) in [
                    ("b002", "Couldn't find backup b002"), ("'../../openruko.sqlite3'", "has no database"), ("'b001;id'", "not a backup id"),
                    ("b001 DATABASE extra", "Usage"), ("b99999999999", "not a backup id"),
                ] {
                    let bad = try await owner.run("pg:backups:download shop " + id)
                    #expect(bad.status != 0 && bad.stderr.contains(says) && bad.stdout.isEmpty, "\(id): \(bad.stderr)")
                }
                let url = try await fixture.admin(["config:get", "shop", "DATABASE_URL"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                #expect(!(try await fixture.log("shop")).contains(Addons.password(url)))
                #expect(!fixture.daemon.printed.contains(Addons.password(url)))
            } catch {
                await Addons.finish(fixture)
                throw error
            }
            await Addons.finish(fixture)
        }
    }
}
