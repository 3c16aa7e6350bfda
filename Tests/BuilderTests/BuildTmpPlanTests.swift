import Foundation
import OpenrukoCore
import Testing
import TestSupport

@testable import Builder
@testable import Isolation

/// A build step's `/tmp` in its bubblewrap arguments: a size-limited tmpfs mounted before the
/// binds that live under it (BUILD_DIR, the cache, ENV_DIR, the buildpacks), so none is hidden.
@Suite(.timeLimit(.minutes(5))) struct BuildTmpPlanTests {
    @Test func theTmpCapComesFromTheEnvironment() throws {
        #expect(try BuildSettings.from(environment: [:]).buildTmpMaxBytes == 2 << 30)
        #expect(try BuildSettings.from(environment: ["OPENRUKO_BUILD_TMP_MAX": "500M"]).buildTmpMaxBytes == 500 << 20)
        for bad in ["", "lots", "-1G", "100K", "1E"] {
            #expect(throws: OpenrukoError.self, "\(bad)") { try BuildSettings.from(environment: ["OPENRUKO_BUILD_TMP_MAX": bad]) }
        }
    }

    @Test func theImageBuildsDiskCapComesFromTheEnvironment() throws {
        #expect(try BuildSettings.from(environment: [:]).imageBuildMaxBytes == 10 << 30)
        #expect(try BuildSettings.from(environment: ["OPENRUKO_IMAGE_BUILD_MAX": "3G"]).imageBuildMaxBytes == 3 << 30)
        for bad in ["", "lots", "-1G", "100K"] {
            #expect(throws: OpenrukoError.self, "\(bad)") { try BuildSettings.from(environment: ["OPENRUKO_IMAGE_BUILD_MAX": bad]) }
        }
    }

    @Test func tmpIsASizedTmpfsUnderTheBuildsBinds() throws {
        let directory = TemporaryDirectory("openruko-build-tmp")
        let sandbox = try Sandbox(stateDirectory: directory.appending("sandbox"))
        var workspace = BuildWorkspace(
            layout: DataLayout(root: directory.appending("data")), app: "app", buildID: UUID(), identity: sandbox.identity)
        workspace.tmpBytes = 64 << 20
        let arguments = sandbox.arguments(workspace.configuration(["/bin/true"], environment: [:], timeLimit: nil))
        let tmpfs = try #require(arguments.indices.first { arguments[$0] == "--tmpfs" && arguments[$0 + 1] == "/tmp" }, "\(arguments)")
        #expect(Array(arguments[tmpfs - 2..<tmpfs]) == ["--size", String(64 << 20)])
        #expect(!arguments.contains(workspace.root + "/tmp"), "no host directory is /tmp")
        // Each lies in a directory bound (from the host's disk) after the tmpfs is mounted.
        for path in [workspace.buildDirectory, BuildWorkspace.cacheDirectory, BuildWorkspace.envDirectory, BuildWorkspace.buildpack(0)] {
            let bind = try #require(
                arguments.indices.last { index in
                    index > 1 && arguments[index - 2].hasSuffix("bind") && arguments[index] != "/"
                        && (path == arguments[index] || path.hasPrefix(arguments[index] + "/"))
                }, "\(path) is not on a bind: \(arguments)")
            #expect(bind > tmpfs, "\(path) is bound after /tmp is mounted")
        }
        let app = try #require(arguments.firstIndex(of: "/app"))
        #expect(arguments[app - 2] == "--bind", "/app stays the build's own directory on disk")
    }
}
