@testable import Builder
import Foundation
import Testing
import TestSupport

@Suite(.timeLimit(.minutes(15))) struct SlugignoreTests {
    let ignore = Slugignore(parsing: "# comment\n/test\n*.psd  # art\nspec\ndocs/*.pdf\n!keep.psd\n\n")

    @Test func anchoredPatternsMatchOnlyAtTheRoot() {
        #expect(ignore.matches("test"))
        #expect(!ignore.matches("lib/test"))
        #expect(ignore.matches("docs/a.pdf"))
        #expect(!ignore.matches("docs/sub/a.pdf"))
    }

    @Test func patternsWithoutSlashMatchAtAnyDepth() {
        #expect(ignore.matches("a.psd"))
        #expect(ignore.matches("x/y/z.psd"))
        #expect(ignore.matches("spec"))
        #expect(ignore.matches("lib/spec"))
        #expect(!ignore.matches("specs"))
    }

    @Test func thereIsNoNegation() {
        #expect(ignore.patterns.contains("!keep.psd"))
        #expect(ignore.matches("keep.psd"))
    }

    @Test func applyRemovesMatchesWithoutFollowingSymlinks() throws {
        let directory = TemporaryDirectory("slugignore")
        let outside = TemporaryDirectory("outside")
        try FileManager.default.createDirectory(atPath: directory.appending("lib/spec"), withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: outside.appending("victim.psd"), contents: Data("x".utf8))
        _ = FileManager.default.createFile(atPath: directory.appending("lib/spec/a.rb"), contents: Data())
        symlink(outside.path, directory.appending("link"))
        let removed = ignore.apply(to: directory.path)
        #expect(removed == ["lib/spec"])
        #expect(FileManager.default.fileExists(atPath: outside.appending("victim.psd")))
    }
}

@Suite(.timeLimit(.minutes(15))) struct BuildpackReferenceTests {
    let bundled = OpenrukoBinary.packageRoot + "/buildpacks"

    @Test func classifiesEveryForm() throws {
        #expect(try BuildpackReference("python", bundled: bundled) == .bundled(name: "python", path: bundled + "/python"))
        #expect(try BuildpackReference("heroku/nodejs", bundled: bundled) == .bundled(name: "nodejs", path: bundled + "/nodejs"))
        #expect(try BuildpackReference("https://github.com/heroku/heroku-buildpack-python#v68", bundled: bundled)
            == .git(url: "https://github.com/heroku/heroku-buildpack-python", ref: "v68"))
        #expect(try BuildpackReference("file:///srv/bp.git", bundled: bundled) == .git(url: "file:///srv/bp.git", ref: nil))
        #expect(try BuildpackReference("https://example.com/bp.tgz", bundled: bundled) == .tarball(url: "https://example.com/bp.tgz"))
        #expect(try BuildpackReference("/tmp", bundled: bundled) == .directory("/tmp"))
        #expect(throws: BuildpackReferenceError.self) { try BuildpackReference("heroku/ruby", bundled: bundled) }
    }

    @Test func bundledOrderComesFromTheOrderFile() {
        #expect(BuildpackReference.bundledNames(bundled) == ["nodejs", "python", "procfile"])
    }
}

@Suite(.timeLimit(.minutes(15))) struct BuildpackReleaseTests {
    @Test func readsDefaultProcessTypesAndConfigVars() throws {
        let release = try BuildpackRelease(yaml: "---\naddons:\n  - heroku-postgresql\nconfig_vars:\n  LANG: en_US.UTF-8\ndefault_process_types:\n  web: npm start\n  console: node\n")
        #expect(release.defaultProcessTypes == ["web": "npm start", "console": "node"])
        #expect(release.configVars == ["LANG": "en_US.UTF-8"])
        #expect(release.addons == ["heroku-postgresql"])
    }

    @Test func emptyOutputIsAnEmptyRelease() throws {
        #expect(try BuildpackRelease(yaml: "") == BuildpackRelease())
        #expect(try BuildpackRelease(yaml: "---\n") == BuildpackRelease())
    }

    @Test func invalidYAMLIsReported() {
        #expect(throws: BuildpackReleaseError.self) { try BuildpackRelease(yaml: "default_process_types: [unclosed\n") }
        #expect(throws: BuildpackReleaseError.self) { try BuildpackRelease(yaml: "- a\n- b\n") }
    }
}
