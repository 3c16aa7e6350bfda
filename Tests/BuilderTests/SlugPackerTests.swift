@testable import Builder
import Foundation
import LibDeflate
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(15))) struct SlugPackerTests {
    @Test func slugExtractsIdenticallyWithTarAndIsPlainGzip() async throws {
        let source = TemporaryDirectory("slug-source")
        let manager = FileManager.default
        let long = String(repeating: "deep/", count: 30) + "file-with-a-long-name-" + String(repeating: "x", count: 90) + ".txt"
        try manager.createDirectory(atPath: source.appending((long as NSString).deletingLastPathComponent), withIntermediateDirectories: true)
        try manager.createDirectory(atPath: source.appending(".git/objects"), withIntermediateDirectories: true)
        try manager.createDirectory(atPath: source.appending("bin"), withIntermediateDirectories: true)
        var random = SystemRandomNumberGenerator()
        let noise = Data((0..<(5 << 20)).map { _ in UInt8.random(in: 0...255, using: &random) })
        let text = Data(String(repeating: "function f(x) { return x * 2; }\n", count: 200_000).utf8)
        try noise.write(to: URL(fileURLWithPath: source.appending("noise.bin")))
        try text.write(to: URL(fileURLWithPath: source.appending("app.js")))
        try Data("long".utf8).write(to: URL(fileURLWithPath: source.appending(long)))
        try Data("#!/bin/sh\necho hi\n".utf8).write(to: URL(fileURLWithPath: source.appending("bin/run")))
        chmod(source.appending("bin/run"), 0o755)
        try Data("secret".utf8).write(to: URL(fileURLWithPath: source.appending(".git/config")))
        symlink("../app.js", source.appending("bin/app-link"))
        symlink("/" + String(repeating: "t", count: 150), source.appending("long-link"))

        let output = TemporaryDirectory("slug-output")
        let slug = output.appending("slug.tgz")
        let result = try SlugPacker.pack(source.path, to: slug, workers: 2)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: slug)))
        #expect(result.size == Int64(bytes.count))
        #expect(result.largest.first == SlugPacker.Largest(path: "./app.js", size: Int64(text.count)))
        #expect(result.largest.count == 4)
        #expect(result.sha256 == SlugChecksum.sha256(Data(bytes)))
        #expect(GzipDecompressor.gunzip(bytes) != nil)
        let test = try await ProcessRunner.run("/bin/gzip", ["-t", slug])
        #expect(test.status == 0, "\(test.stderr)")

        let extracted = output.appending("app")
        try manager.createDirectory(atPath: extracted, withIntermediateDirectories: true)
        let untar = try await ProcessRunner.run("/usr/bin/tar", ["-xzf", slug, "-C", extracted])
        #expect(untar.status == 0, "\(untar.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: extracted + "/noise.bin")) == noise)
        #expect(try Data(contentsOf: URL(fileURLWithPath: extracted + "/" + long)) == Data("long".utf8))
        #expect(manager.isExecutableFile(atPath: extracted + "/bin/run"))
        #expect(try manager.destinationOfSymbolicLink(atPath: extracted + "/bin/app-link") == "../app.js")
        #expect(try manager.destinationOfSymbolicLink(atPath: extracted + "/long-link") == "/" + String(repeating: "t", count: 150))
        #expect(!manager.fileExists(atPath: extracted + "/.git"))
        let listing = try await ProcessRunner.run("/usr/bin/tar", ["-tvzf", slug])
        #expect(listing.stdout.split(separator: "\n").allSatisfy { $0.contains(" root/root ") })
        #expect(listing.stdout.hasPrefix("drwxr-xr-x root/root         0 "))
    }

    @Test func sizesUseHerokusNotation() {
        #expect(SlugPacker.megabytes(220_520_857) == "210.3M")
        #expect(SlugPacker.limit(200 * 1_048_576) == "200M")
    }
}
