import Foundation
import OpenrukoCore
import Store
import TestSupport
import Testing

/// Migration 0010: the legacy stack, once called `heroku-22`, is `host` in a data directory of
/// an older openruko; other stacks' names stay.
@Suite(.timeLimit(.minutes(2))) struct HostStackMigrationTests {
    @Test func anOlderDatabaseCallsTheHostStackHost() async throws {
        let directory = TemporaryDirectory()
        let path = directory.appending("db.sqlite3")
        do {
            let store = try PlatformStore(path: path)
            let owner = try store.createUser(email: "a@example.com", isAdmin: false)
            _ = try store.createApp(name: "old1", ownerID: owner.id, stack: "heroku-22", actor: Attribution(owner))
            _ = try store.createApp(name: "new1", ownerID: owner.id, stack: "heroku-24", actor: Attribution(owner))
        }
        // As the database of an openruko before migration 0010 (python3's sqlite3 module).
        let script = "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); "
            + "c.execute(\"DELETE FROM grdb_migrations WHERE identifier='0010_host_stack'\"); c.commit()"
        let result = try await ProcessRunner.run("/usr/bin/env", ["python3", "-c", script, path])
        #expect(result.status == 0, "\(result.stderr)")
        let reopened = try PlatformStore(path: path)
        #expect(try reopened.app("old1")?.stack == "host")
        #expect(try reopened.app("new1")?.stack == "heroku-24")
    }
}
