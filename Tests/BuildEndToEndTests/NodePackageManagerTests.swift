import Foundation
import Testing
import TestSupport

/// The nodejs buildpack's package manager choice and its checks of package.json, as Heroku's:
/// several lockfiles or declared package managers are errors; Yarn and pnpm come from corepack
/// (which needs the npm registry, unreachable here: its failure is explained); hostile
/// package.json files (shell in engines.node, deep nesting, megabytes, invalid JSON) are data.
@Suite(.serialized, .timeLimit(.minutes(15))) struct NodePackageManagerTests {
    @Test func lockfilesAndDeclaredPackageManagersChooseOneOrFail() async throws {
        let fixture = try await BuildFixture.make()
        try await fixture.createApp("nodepm")
        let repo = try await fixture.repository([
            "package.json": #"{"name": "nodepm", "version": "1.0.0"}"#, "package-lock.json": "{}\n", "yarn.lock": "\n",
        ])
        let several = try await fixture.push(repo, app: "nodepm")
        #expect(several.status != 0)
        NodeBuildpackTests.expectLines(several.stderr, [
            " !     Error: Multiple lockfiles found.", " !     Multiple package managers (npm,Yarn) have created lockfiles for this application,",
            " !     - pnpm-lock.yaml (pnpm)", " !     Push rejected, failed to compile Node.js app.",
        ])
        #expect(!several.stderr.contains("Installing binaries"))

        try await fixture.git(["rm", "-q", "package-lock.json"], in: repo)
        try fixture.write(["package.json": #"{"name": "nodepm", "packageManager": "yarn@4.5.0", "engines": {"pnpm": "9.x"}}"#], to: repo)
        try await fixture.commit(repo, "two package managers")
        let declared = try await fixture.push(repo, app: "nodepm")
        #expect(declared.status != 0)
        NodeBuildpackTests.expectLines(declared.stderr, [
            " !     Multiple package managers declared in package.json", " !     - pnpm version declared in engines.pnpm (9.x)",
            " !     - yarn version declared in packageManager (yarn@4.5.0)",
        ])

        // yarn.lock: Yarn from corepack, which cannot reach its download location here.
        try fixture.write(["package.json": #"{"name": "nodepm", "packageManager": "yarn@4.5.0+sha512.abc"}"#], to: repo)
        try await fixture.commit(repo, "yarn")
        let yarn = try await fixture.push(repo, app: "nodepm")
        #expect(yarn.status != 0)
        NodeBuildpackTests.expectLines(yarn.stderr, [
            "packageManager (package.json): yarn@4.5.0 ", "engines.yarn (package.json):   unspecified (use default)",
            "Downloading and installing yarn (4.5.0+sha512.abc) with corepack", " !     Error: Unable to install yarn.",
            " !     corepack could not download yarn@4.5.0+sha512.abc (see its error above).",
        ])

        // pnpm-lock.yaml: pnpm, the same way; a packageManager that isn't a version is refused.
        try await fixture.git(["rm", "-q", "yarn.lock"], in: repo)
        try fixture.write(["pnpm-lock.yaml": "lockfileVersion: '9.0'\n", "package.json": #"{"name": "nodepm", "engines": {"pnpm": "9.x"}}"#], to: repo)
        try await fixture.commit(repo, "pnpm")
        let pnpm = try await fixture.push(repo, app: "nodepm")
        #expect(pnpm.status != 0)
        NodeBuildpackTests.expectLines(pnpm.stderr, [
            "engines.pnpm (package.json):   9.x", "Downloading and installing pnpm (9.x) with corepack", " !     Error: Unable to install pnpm.",
        ])
        try fixture.write(["package.json": #"{"name": "nodepm"}"#], to: repo)
        try await fixture.commit(repo, "pnpm without a version")
        let latest = try await fixture.push(repo, app: "nodepm")
        #expect(latest.status != 0)
        NodeBuildpackTests.expectLines(latest.stderr, [
            " !     Default pnpm version used", "Downloading and installing pnpm (latest) with corepack", " !     Error: Unable to install pnpm.",
        ])
        try fixture.write(["package.json": #"{"name": "nodepm", "packageManager": "pnpm@$(touch pwned)"}"#], to: repo)
        try await fixture.commit(repo, "hostile packageManager")
        let hostile = try await fixture.push(repo, app: "nodepm")
        #expect(hostile.status != 0)
        NodeBuildpackTests.expectLines(hostile.stderr, [
            " !     Error: Invalid pnpm version requested.", " !     The pnpm version requested in package.json (pnpm@$(touch pwned)) isn't",
        ])
    }

    @Test func hostilePackageJSONIsOnlyEverData() async throws {
        let fixture = try await BuildFixture.make()
        try await fixture.createApp("nodebad")
        // Shell in engines.node is shown back as it is (never expanded), control characters masked.
        let repo = try await fixture.repository([
            "package.json": #"{"name": "nodebad", "engines": {"node": "20.x || $(touch pwned) `id` \u001b[2J"}}"#
        ])
        let shell = try await fixture.push(repo, app: "nodebad")
        #expect(shell.status != 0)
        NodeBuildpackTests.expectLines(shell.stderr, [
            "engines.node (package.json):   20.x || $(touch pwned) `id` ?[2J", " !     Error: Invalid Node.js version requirement.",
            " !     The version requirement in your package.json (20.x || $(touch pwned) `id` ?[2J) is not a",
        ])
        #expect(!shell.stderr.contains("uid="))

        for (label, text) in [("not JSON", "{\"name\": \"nodebad\",}"), ("an array", "[1, 2]")] {
            try fixture.write(["package.json": text], to: repo)
            try await fixture.commit(repo, label)
            let invalid = try await fixture.push(repo, app: "nodebad")
            #expect(invalid.status != 0, "\(label)")
            #expect(invalid.stderr.contains(" !     Error: Unable to parse your package.json."), "\(label): \(invalid.stderr)")
        }

        try fixture.write(["package.json": #"{"name": "nodebad", "engines": {"iojs": "3.x"}}"#], to: repo)
        try await fixture.commit(repo, "io.js")
        let iojs = try await fixture.push(repo, app: "nodebad")
        #expect(iojs.status != 0)
        #expect(iojs.stderr.contains(" !     Error: io.js is no longer supported."), "\(iojs.stderr)")

        // A .heroku file would take the place of the buildpack's directory.
        try fixture.write(["package.json": #"{"name": "nodebad"}"#, ".heroku": "mine\n"], to: repo)
        try await fixture.commit(repo, ".heroku")
        let dotHeroku = try await fixture.push(repo, app: "nodebad")
        #expect(dotHeroku.status != 0)
        #expect(dotHeroku.stderr.contains(" !     Error: The directory .heroku could not be created."), "\(dotHeroku.stderr)")
        try await fixture.git(["rm", "-q", ".heroku"], in: repo)

        // 200,000 levels of nesting and 8 MB of text build like any package.json.
        let deep = #"{"name": "nodebad", "deep": "# + String(repeating: "[", count: 200_000) + String(repeating: "]", count: 200_000)
            + #", "description": ""# + String(repeating: "x", count: 8_000_000) + #"", "engines": {"node": ">=18"}}"#
        try fixture.write(["package.json": deep, "Procfile": "web: node -e 'require(\"http\").createServer((q, s) => s.end(\"ok\\n\")).listen(process.env.PORT)'\n"], to: repo)
        try await fixture.commit(repo, "deep and large")
        let large = try await fixture.push(repo, app: "nodebad")
        #expect(large.status == 0, "\(large.stderr.prefix(4000))")
        #expect(large.stderr.contains("Using the stack's Node.js v"), "\(large.stderr.prefix(4000))")
    }
}
