import Foundation
import OpenrukoCore
import Operations
import Store
import Testing
import TestSupport

/// `apps:rename` moves an app's repository, slugs and build cache to its new name, and a
/// daemon killed half-way through finishes the move at its next start.
@Suite(.timeLimit(.minutes(1))) struct RenameTests {
    /// An app with a file in each place kept under its name.
    static func appWithFiles(_ installation: TestInstallation, named name: String) throws -> App {
        let (admin, _) = try installation.seedUsers()
        let app = try installation.platform.createApp(name: name, owner: nil, as: .user(admin))
        let layout = installation.layout
        for directory in [layout.repo(name), layout.slugs(name), layout.cache(name) + "/pip"] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try Data(name.utf8).write(to: URL(fileURLWithPath: directory + "/file"))
        }
        return app
    }

    static func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

    static func files(_ layout: DataLayout, _ name: String) -> [String] {
        [layout.repo(name) + "/file", layout.slugs(name) + "/file", layout.cache(name) + "/pip/file"]
    }

    @Test func aRenameMovesEveryFileOfTheApp() throws {
        let installation = try TestInstallation()
        let app = try Self.appWithFiles(installation, named: "before")
        let renamed = try installation.platform.renameApp("before", to: "after", as: .superuser)
        #expect(renamed.id == app.id && renamed.name == "after")
        for path in Self.files(installation.layout, "after") {
            #expect(Self.read(path) == "before", "\(path)")
        }
        for path in Self.files(installation.layout, "before") { #expect(!FileManager.default.fileExists(atPath: path), "\(path)") }
        #expect(try installation.store.unfinishedRenames().isEmpty)
    }

    @Test func aRenameCutShortIsFinishedAtTheNextStart() throws {
        // Given a rename killed after its new name was stored, before any file moved, and a
        // destroyed app's debris under the new name
        let installation = try TestInstallation()
        let app = try Self.appWithFiles(installation, named: "old")
        try installation.store.renameApp(id: app.id, to: "new", movingFrom: "old")
        let debris = installation.layout.cache("new") + "/pip"
        try FileManager.default.createDirectory(atPath: debris, withIntermediateDirectories: true)
        try Data("someone else's".utf8).write(to: URL(fileURLWithPath: debris + "/file"))
        // When the daemon starts again
        let finished = installation.platform.finishInterruptedRenames()
        // Then the app's own files are under its new name, nothing is left under the old one, and
        // the rename is done
        #expect(finished == ["old → new"])
        for path in Self.files(installation.layout, "new") { #expect(Self.read(path) == "old", "\(path)") }
        for path in Self.files(installation.layout, "old") { #expect(!FileManager.default.fileExists(atPath: path), "\(path)") }
        #expect(try installation.store.unfinishedRenames().isEmpty)
        #expect(installation.platform.finishInterruptedRenames().isEmpty)
    }

    @Test func aRenameCutShortAfterSomeMovesKeepsWhatMoved() throws {
        // Given a rename killed after its repository moved, before its slugs and cache did
        let installation = try TestInstallation()
        let app = try Self.appWithFiles(installation, named: "half")
        try installation.store.renameApp(id: app.id, to: "whole", movingFrom: "half")
        let layout = installation.layout
        #expect(rename(layout.repo("half"), layout.repo("whole")) == 0)
        // When the daemon starts again
        installation.platform.finishInterruptedRenames()
        // Then every file is under the new name
        for path in Self.files(layout, "whole") { #expect(Self.read(path) == "half", "\(path)") }
        #expect(!FileManager.default.fileExists(atPath: layout.repo("half")))
    }
}
