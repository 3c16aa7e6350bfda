import Foundation
import OpenrukoCore
import Testing

@testable import Builder

/// A build's owner lock: held while its owner lives, abandoned once only the file is left.
@Suite(.timeLimit(.minutes(2))) struct BuildOwnerTests {
    @Test func aLiveOwnerHoldsItsBuildAndADeadOneLeavesItAbandoned() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("owner-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let layout = DataLayout(root: root)
        let id = UUID()
        #expect(!BuildOwner.isAbandoned(id, layout: layout), "no owner file: not this check's to judge")

        var owner = BuildOwner.claim(id, layout: layout)
        #expect(owner != nil)
        #expect(!BuildOwner.isAbandoned(id, layout: layout), "its owner holds it")
        #expect(BuildOwner.claim(id, layout: layout) == nil, "one owner at a time")
        owner = nil
        #expect(!FileManager.default.fileExists(atPath: layout.lock("owner-" + id.uuidString.lowercased())), "a released owner removes its file")

        // What a killed owner leaves: the file, with nobody holding it.
        let path = layout.lock("owner-" + id.uuidString.lowercased())
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        #expect(BuildOwner.isAbandoned(id, layout: layout))
        BuildOwner.forget(id, layout: layout)
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}
