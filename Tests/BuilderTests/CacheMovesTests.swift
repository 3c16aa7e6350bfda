@testable import Builder
import Foundation
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(2))) struct CacheMovesTests {
    @Test func onlyRelativePathsWithoutDotsAreRead() {
        let moves = CacheMoves.parse(
            ".heroku/python\t.heroku/python\n/etc\tx\na/../b\tc\nx\t/y\nx\n\t\nvenv\tcached/venv\na//b\tc\n./a\tb\n")
        #expect(moves == [
            CacheMoves.Move(from: [".heroku", "python"], to: [".heroku", "python"]),
            CacheMoves.Move(from: ["venv"], to: ["cached", "venv"]),
        ])
        let many = String(repeating: "a\tb\n", count: 100)
        #expect(CacheMoves.parse(many).count == CacheMoves.maximumMoves)
    }

    /// A workspace's mount: `work/build_x` (BUILD_DIR) and `work/tmp/cache` (CACHE_DIR).
    private func workspace() throws -> (TemporaryDirectory, build: String, cache: String) {
        let work = TemporaryDirectory("cache-moves")
        let build = work.appending("build_x")
        let cache = work.appending("tmp/cache")
        try FileManager.default.createDirectory(atPath: build + "/.heroku/python/lib", withIntermediateDirectories: true)
        try Data("venv".utf8).write(to: URL(fileURLWithPath: build + "/.heroku/python/lib/django.py"))
        try FileManager.default.createDirectory(atPath: cache + "/.heroku", withIntermediateDirectories: true)
        return (work, build, cache)
    }

    private func request(_ cache: String, _ text: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: cache + "/" + CacheMoves.fileName))
    }

    @Test func aRequestedTreeMovesIntoTheCache() throws {
        let (work, build, cache) = try workspace()
        try request(cache, ".heroku/python\t.heroku/python\n")
        #expect(CacheMoves.apply(work: work.path, build: "build_x") == 1)
        #expect(FileTree.text(cache + "/.heroku/python/lib/django.py") == "venv")
        #expect(FileTree.kind(build + "/.heroku/python") == nil)
        #expect(FileTree.kind(cache + "/" + CacheMoves.fileName) == nil)
        // Once done, the request is gone: nothing moves again.
        #expect(CacheMoves.apply(work: work.path, build: "build_x") == 0)
    }

    @Test func linksAndTakenNamesAreRefused() throws {
        let (work, build, cache) = try workspace()
        let outside = TemporaryDirectory("cache-moves-outside")
        try FileManager.default.createDirectory(atPath: outside.appending("secret"), withIntermediateDirectories: true)
        // A link on the way in BUILD_DIR, in CACHE_DIR, a link as the tree, a target that exists.
        symlink(outside.path, build + "/out")
        symlink(outside.path, cache + "/out")
        symlink(outside.appending("secret"), build + "/link")
        try FileManager.default.createDirectory(atPath: cache + "/.heroku/python", withIntermediateDirectories: true)
        try request(cache, "out/secret\tstolen\n.heroku/python\tout/planted\nlink\tlinked\n.heroku/python\t.heroku/python\n")
        #expect(CacheMoves.apply(work: work.path, build: "build_x") == 0)
        #expect(FileTree.kind(outside.appending("secret")) != nil)
        #expect(FileTree.kind(outside.appending("planted")) == nil)
        #expect(FileTree.kind(cache + "/stolen") == nil)
        #expect(FileTree.kind(cache + "/linked") == nil)
        #expect(FileTree.text(build + "/.heroku/python/lib/django.py") == "venv")
    }

    @Test func aLinkedRequestOrCacheIsIgnored() throws {
        let (work, build, cache) = try workspace()
        let outside = TemporaryDirectory("cache-moves-outside")
        try Data(".heroku/python\tpython\n".utf8).write(to: URL(fileURLWithPath: outside.appending("request")))
        symlink(outside.appending("request"), cache + "/" + CacheMoves.fileName)
        #expect(CacheMoves.apply(work: work.path, build: "build_x") == 0)
        // The cache itself replaced by a link (the build owns work/tmp).
        try FileManager.default.removeItem(atPath: cache)
        try FileManager.default.createDirectory(atPath: outside.appending("cache"), withIntermediateDirectories: true)
        try request(outside.appending("cache"), ".heroku/python\tpython\n")
        symlink(outside.appending("cache"), cache)
        #expect(CacheMoves.apply(work: work.path, build: "build_x") == 0)
        #expect(FileTree.kind(outside.appending("cache/python")) == nil)
        #expect(FileTree.kind(build + "/.heroku/python") != nil)
    }
}
