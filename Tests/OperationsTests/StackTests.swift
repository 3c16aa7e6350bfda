import Foundation
import OpenrukoCore
import Operations
import TestSupport
import Testing

/// Which stacks exist (the legacy one and those built on disk), who may build one, and what
/// `stack:set` accepts; the build recipe's arguments. End to end: RuntimeEndToEndTests'
/// `StackTests`.
@Suite(.timeLimit(.minutes(5))) struct StackTests {
    /// Makes `DATA_DIR/stacks/NAME` look built (the version file says `recorded`).
    func fakeStack(_ layout: DataLayout, _ name: String, recorded: String? = nil) throws {
        for image in ["run", "build"] {
            try FileManager.default.createDirectory(atPath: layout.stack(name) + "/\(image)/usr/bin", withIntermediateDirectories: true)
        }
        let version = StackVersion(
            name: recorded ?? name, release: "trixie", version: "20260101T000000Z", builtAt: Date(), runPackages: [], buildPackages: [])
        try version.json().write(to: URL(fileURLWithPath: layout.stack(name) + "/version"))
    }

    @Test func onlyAdminsBuildStacksAndOnlyGoodNames() async throws {
        let installation = try TestInstallation()
        let (admin, user) = try installation.seedUsers()
        let platform = installation.platform
        await #expect(throws: OpenrukoError.self) {
            _ = try await platform.buildStack("tiny", progress: { _ in }, as: .user(user))
        }
        do {
            _ = try await platform.buildStack("tiny", progress: { _ in }, as: .user(user))
        } catch {
            #expect(error.kind == .forbidden, "\(error.message)")
        }
        #expect(!FileManager.default.fileExists(atPath: installation.layout.stacks))
        for bad in ["../etc", "Tiny", "a", "host", "x y", "-x", String(repeating: "a", count: 33)] {
            do {
                _ = try await platform.buildStack(bad, progress: { _ in }, as: .user(admin))
                Issue.record("\(bad) was accepted")
            } catch {
                #expect(error.kind == .invalid, "\(bad): \(error.message)")
            }
        }
        do {
            _ = try await platform.buildStack(
                "tiny", environment: [StackRecipe.runPackagesVariable: "python3 evil;rm"], progress: { _ in }, as: .user(admin))
            Issue.record("a bad package name was accepted")
        } catch {
            #expect(error.kind == .invalid && error.message.contains("evil;rm"), "\(error.message)")
        }
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: installation.layout.stacks)) ?? []).isEmpty)
    }

    @Test func builtStacksAreListedAndSettableUnbuiltOnesAreRefused() async throws {
        let installation = try TestInstallation()
        let (_, user) = try installation.seedUsers()
        let platform = installation.platform
        let app = try platform.createApp(name: "web1", owner: nil, as: .user(user))
        #expect(app.stack == StackCatalog.legacy)
        #expect(platform.stacks().map(\.name) == [StackCatalog.legacy])
        for unknown in ["heroku-24", "nope", "../x"] {
            do {
                _ = try platform.setBuildStack("web1", unknown, as: .user(user))
                Issue.record("\(unknown) was accepted")
            } catch {
                #expect(error.kind == .invalid && error.message.contains("not available"), "\(error.message)")
                #expect(error.message.contains("stacks:build"))
            }
        }
        try fakeStack(installation.layout, "mystack")
        try fakeStack(installation.layout, "liar", recorded: "other")  // a version file of another stack
        try FileManager.default.createDirectory(atPath: installation.layout.stack("half") + "/run/usr/bin", withIntermediateDirectories: true)
        #expect(platform.stacks().map(\.name) == [StackCatalog.legacy, "mystack"])
        let moved = try platform.setBuildStack("web1", "mystack", as: .user(user))
        #expect(moved.stack == "mystack")
        #expect(try platform.app("web1", as: .user(user)).stack == "mystack")
        #expect(throws: OpenrukoError.self) { _ = try platform.setBuildStack("web1", "liar", as: .user(user)) }
        #expect(throws: OpenrukoError.self) { _ = try platform.setBuildStack("web1", "half", as: .user(user)) }

        let catalog = StackCatalog(layout: installation.layout)
        #expect(try catalog.root(of: "mystack", .run) == installation.layout.stack("mystack") + "/run")
        #expect(try catalog.root(of: "mystack", .build) == installation.layout.stack("mystack") + "/build")
        #expect(try catalog.root(of: StackCatalog.legacy, .run) == nil)
        #expect(throws: OpenrukoError.self) { _ = try catalog.root(of: "half", .run) }
        #expect(catalog.defaultStack(environment: [:]) == StackCatalog.legacy)
        #expect(catalog.defaultStack(environment: [StackCatalog.defaultVariable: "mystack"]) == "mystack")
        #expect(catalog.defaultStack(environment: [StackCatalog.defaultVariable: "half"]) == StackCatalog.legacy)
    }

    @Test func theRecipeWritesClassicSourcesAndHandsOnTheHostsProxies() throws {
        let recipe = try StackRecipe.from(environment: [
            StackRecipe.runPackagesVariable: "python3, curl", StackRecipe.buildPackagesVariable: "git curl",
        ])
        #expect(recipe.packages(.run) == ["ca-certificates", "python3", "curl"])
        #expect(recipe.packages(.build) == ["ca-certificates", "python3", "curl", "git"])
        let arguments = recipe.mmdebstrapArguments(
            .build, target: "/d/build", debs: "/d/debs", aptOptions: [#"Acquire::http::Proxy "http://proxy:3128""#],
            certificates: ["/usr/local/share/ca-certificates/a.crt"])
        #expect(arguments.contains("--include=ca-certificates,python3,curl,git"))
        #expect(arguments.contains(#"--aptopt=Acquire::http::Proxy "http://proxy:3128""#))
        #expect(arguments.contains("--customize-hook=copy-in /usr/local/share/ca-certificates/a.crt /usr/local/share/ca-certificates/"))
        #expect(Array(arguments.suffix(5)) == ["trixie", "/d/build"] + StackRecipe.sources)
        #expect(StackRecipe.sources.allSatisfy { $0.hasPrefix("deb http://deb.debian.org/") })
        let dump = """
            Acquire::http::Proxy "http://proxy:3128";
            Acquire::https::Proxy::deb.example.org "DIRECT";
            Acquire::Retries "3";
            APT::Proxy "x";
            """
        #expect(StackImageBuilder.proxyOptions(inDump: dump) == [
            #"Acquire::http::Proxy "http://proxy:3128""#, #"Acquire::https::Proxy::deb.example.org "DIRECT""#,
        ])
        #expect(StackCatalog.isValidName("heroku-24") && !StackCatalog.isValidName("Heroku") && !StackCatalog.isValidName("a/b"))
    }
}
