import AppLogs
package import Builder
package import Foundation
package import OpenrukoCore
import Isolation
import Store

/// `openruko hook source-build`: one API build (`POST /apps/{app}/builds`) in its own
/// process, started by the daemon's `BuildProcess` with `OPENRUKO_DATA_DIR` and
/// `OPENRUKO_ROOT` set. It finishes the build record and writes the build log itself.
package enum SourceBuildRunner {
    /// Runs the build and returns the exit status (0 when the build ran, whatever its outcome).
    package static func run(
        buildID: UUID, tarball: String, buildpacks: [String]?,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async -> Int32 {
        let stderr = FileHandle.standardError
        guard let root = environment["OPENRUKO_DATA_DIR"], root.hasPrefix("/") else {
            stderr.write(Data("openruko hook source-build is started by the daemon (OPENRUKO_DATA_DIR is not set).\n".utf8))
            return 2
        }
        do {
            let cgroup = ProcessCgroup.enter(
                name: "openruko-build-\(getpid())", limits: try ProcessCgroup.Limits.build(environment: environment),
                group: "openruko-builds")
            defer { cgroup?.leave() }
            let (installation, _, forwarder) = try Installation.openClient(DataLayout(root: root), environment: environment)
            let pipeline = try installation.buildPipeline(environment: environment)
            let store = installation.store
            guard let build = try store.build(id: buildID), build.status == .pending,
                let app = try store.app(build.appID.uuidString.lowercased())
            else {
                stderr.write(Data("No pending build \(buildID).\n".utf8))
                return 2
            }
            let output = try BuildOutput(logPath: pipeline.logPath(build.id)) { _ in }
            let request = BuildPipeline.Request(
                app: app, build: build, source: .tarball(tarball), actor: Attribution(userID: build.userID, email: build.userEmail),
                buildpacks: buildpacks)
            _ = await pipeline.run(request, output: output)
            await forwarder.finish()
            return 0
        } catch {
            stderr.write(Data("\((error as? OpenrukoError)?.message ?? "\(error)")\n".utf8))
            return 1
        }
    }
}
