@testable import Builder
import Foundation
import LibDeflate
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(10))) struct SlugMemberCacheTests {
    /// A tree of about 10 MiB in 2,000 compressible files (several chunks, as a virtualenv's
    /// many small files make), plus one incompressible file.
    private func makeSource(_ source: TemporaryDirectory) throws {
        let manager = FileManager.default
        var random = SystemRandomNumberGenerator()
        let words = ["django", "static", "template", "request", "response", "import", "return", "self", "class", "def"]
        for directory in 0..<40 {
            try manager.createDirectory(atPath: source.appending("pkg\(directory)"), withIntermediateDirectories: true)
            for file in 0..<50 {
                let text = (0..<700).map { _ in words.randomElement(using: &random)! }.joined(separator: " ")
                try Data(text.utf8).write(to: URL(fileURLWithPath: source.appending("pkg\(directory)/module\(file).py")))
            }
        }
        let noise = Data((0..<(3 << 20)).map { _ in UInt8.random(in: 0...255, using: &random) })
        try noise.write(to: URL(fileURLWithPath: source.appending("pkg3/blob.bin")))
    }

    private func bytes(_ path: String) throws -> [UInt8] { try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))) }

    private func cacheFiles(_ directory: String) -> [String: Int64] {
        var files: [String: Int64] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            files[name] = (try? FileManager.default.attributesOfItem(atPath: directory + "/" + name)[.size] as? Int64) ?? 0
        }
        return files
    }

    @Test func aRepackReusesMembersAndGivesTheSameSlug() throws {
        let source = TemporaryDirectory("members-source")
        try makeSource(source)
        let output = TemporaryDirectory("members-output")
        let cache = output.appending("members")
        let first = try SlugPacker.pack(source.path, to: output.appending("1.tgz"), workers: 2, memberCache: (cache, 1 << 30))
        #expect(first.reusedMembers == 0)
        #expect(first.compressedMembers >= 4)
        #expect(cacheFiles(cache).count == first.compressedMembers)
        let second = try SlugPacker.pack(source.path, to: output.appending("2.tgz"), workers: 2, memberCache: (cache, 1 << 30))
        #expect(second.reusedMembers == first.compressedMembers)
        #expect(second.compressedMembers == 0)
        #expect(second.sha256 == first.sha256)
        #expect(try bytes(output.appending("2.tgz")) == bytes(output.appending("1.tgz")))
        // The same as a slug packed without a cache.
        let fresh = try SlugPacker.pack(source.path, to: output.appending("fresh.tgz"), workers: 2)
        #expect(fresh.sha256 == second.sha256)
    }

    @Test func aChangedFileIsCompressedAgainAndTheRestReused() async throws {
        let source = TemporaryDirectory("members-source")
        try makeSource(source)
        let output = TemporaryDirectory("members-output")
        let cache = output.appending("members")
        let first = try SlugPacker.pack(source.path, to: output.appending("1.tgz"), workers: 2, memberCache: (cache, 1 << 30))
        // A file early in the stream changes size: later chunks still cut at the same entries.
        try Data("changed: a different length\n".utf8).write(to: URL(fileURLWithPath: source.appending("pkg1/module3.py")))
        let second = try SlugPacker.pack(source.path, to: output.appending("2.tgz"), workers: 2, memberCache: (cache, 1 << 30))
        #expect(second.sha256 != first.sha256)
        #expect(second.reusedMembers >= first.compressedMembers - 3)
        #expect(second.compressedMembers >= 1)
        let fresh = try SlugPacker.pack(source.path, to: output.appending("fresh.tgz"), workers: 2)
        let repacked = try #require(GzipDecompressor.gunzip(try bytes(output.appending("2.tgz"))))
        #expect(repacked == GzipDecompressor.gunzip(try bytes(output.appending("fresh.tgz"))))
        #expect(fresh.size > 0)
        let extracted = output.appending("app")
        try FileManager.default.createDirectory(atPath: extracted, withIntermediateDirectories: true)
        let untar = try await ProcessRunner.run("/usr/bin/tar", ["-xzf", output.appending("2.tgz"), "-C", extracted])
        #expect(untar.status == 0, "\(untar.stderr)")
        #expect(FileTree.text(extracted + "/pkg1/module3.py") == "changed: a different length\n")
        // Only the members of the last slug are kept.
        #expect(cacheFiles(cache).count == second.reusedMembers + second.compressedMembers)
    }

    @Test func anAlteredMemberIsNotUsed() throws {
        let source = TemporaryDirectory("members-source")
        try makeSource(source)
        let output = TemporaryDirectory("members-output")
        let cache = output.appending("members")
        let first = try SlugPacker.pack(source.path, to: output.appending("1.tgz"), workers: 2, memberCache: (cache, 1 << 30))
        let names = cacheFiles(cache).keys.sorted()
        // One member replaced by another's bytes (valid gzip, wrong contents), one by a link.
        try FileManager.default.removeItem(atPath: cache + "/" + names[0])
        try FileManager.default.copyItem(atPath: cache + "/" + names[1], toPath: cache + "/" + names[0])
        try FileManager.default.removeItem(atPath: cache + "/" + names[2])
        symlink(output.appending("1.tgz"), cache + "/" + names[2])
        let second = try SlugPacker.pack(source.path, to: output.appending("2.tgz"), workers: 2, memberCache: (cache, 1 << 30))
        #expect(second.sha256 == first.sha256)
        #expect(second.compressedMembers == 2)
        #expect(second.reusedMembers == first.compressedMembers - 2)
    }

    @Test func theCacheStaysUnderItsLimit() throws {
        let source = TemporaryDirectory("members-source")
        try makeSource(source)
        let output = TemporaryDirectory("members-output")
        let cache = output.appending("members")
        let whole = try SlugPacker.pack(source.path, to: output.appending("1.tgz"), workers: 2, memberCache: (cache, 1 << 30))
        #expect(cacheFiles(cache).values.reduce(0, +) == whole.size)
        // New members are not kept past the limit (the old ones count until the slug is done).
        try Data("changed".utf8).write(to: URL(fileURLWithPath: source.appending("pkg0/module0.py")))
        let limit = whole.size + 1000
        let next = try SlugPacker.pack(source.path, to: output.appending("2.tgz"), workers: 2, memberCache: (cache, limit))
        #expect(next.compressedMembers >= 1)
        #expect(cacheFiles(cache).values.reduce(0, +) <= limit)
        // A slug over the limit keeps nothing.
        _ = try SlugPacker.pack(source.path, to: output.appending("3.tgz"), workers: 2, memberCache: (cache, 1000))
        #expect(!FileManager.default.fileExists(atPath: cache))
    }

    @Test func chunksEndAtAnchorsOrOnceFull() throws {
        let output = TemporaryDirectory("members-output")
        let cache = try #require(SlugMemberCache(directory: output.appending("members"), limit: 1 << 30))
        let boundaries = ChunkBoundaries(minimum: 50, target: 100, maximum: 300)
        let writer = try ParallelGzipWriter(path: output.appending("x.gz"), boundaries: boundaries, cache: cache, workers: 2)
        try writer.write([UInt8](repeating: 1, count: 60))
        try writer.mark(anchor: false)  // 60 < target: no cut
        try writer.write([UInt8](repeating: 2, count: 60))
        try writer.mark(anchor: false)  // 120 >= target: cut
        try writer.write([UInt8](repeating: 4, count: 60))
        try writer.mark(anchor: true)  // 60 >= minimum at an anchor: cut
        try writer.write([UInt8](repeating: 3, count: 700))  // cut at 300 and 600 (the same chunk twice), 100 left
        _ = try writer.finish()
        #expect(writer.compressed + writer.reused == 5)
        #expect(cacheFiles(output.appending("members")).count == 4)
        let all = try #require(GzipDecompressor.gunzip(try bytes(output.appending("x.gz"))))
        #expect(
            all == [UInt8](repeating: 1, count: 60) + [UInt8](repeating: 2, count: 60) + [UInt8](repeating: 4, count: 60)
                + [UInt8](repeating: 3, count: 700))
        #expect(ChunkBoundaries().endsAtMark(anchor: true, filled: 1 << 18))
        #expect(!ChunkBoundaries().endsAtMark(anchor: true, filled: (1 << 18) - 1))
        #expect(ChunkBoundaries.isAnchor(name: "./a") == ChunkBoundaries.isAnchor(name: "./a"))
    }
}
