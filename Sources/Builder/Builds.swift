package import Foundation
package import OpenrukoCore
import Platform
import Store

/// The `BuildService` of openruko: source-tarball builds in the background through the same
/// pipeline as pushes, and the live output of any build (from its log file, whichever
/// process runs it).
package struct Builds: BuildService {
    package let pipeline: BuildPipeline

    package init(pipeline: BuildPipeline) {
        self.pipeline = pipeline
    }

    package func startBuild(app: App, tarball: String, version: String?, buildpacks: [String]?, user: User?)
        async throws(OpenrukoError) -> Build
    {
        let platform = pipeline.platform
        guard FileTree.isFile(tarball) else {
            throw OpenrukoError(.invalid, "The source tarball \(tarball) does not exist.", resource: "build")
        }
        let actor = if let user { Attribution(user) } else { try platform.attribution(.superuser) }
        let build = try platform.store.createBuild(
            appID: app.id, commit: version, buildpacks: buildpacks ?? app.buildpacks, actor: actor)
        let output = try BuildOutput(logPath: pipeline.logPath(build.id)) { _ in }
        // The tarball is copied into the build's workspace before this returns, so the
        // caller may delete its upload afterwards.
        let uploads = pipeline.layout.uploads
        let staged = uploads + "/" + build.id.uuidString.lowercased() + ".tgz"
        do {
            try? FileManager.default.createDirectory(atPath: uploads, withIntermediateDirectories: true)
            chmod(uploads, 0o700)
            try FileManager.default.copyItem(atPath: tarball, toPath: staged)
        } catch {
            output.error("Cannot read the source tarball: \(error.localizedDescription)")
            output.finish()
            return (try? platform.store.finishBuild(id: build.id, status: .failed, output: output.text, slugID: nil, releaseID: nil))
                ?? build
        }
        let request = BuildPipeline.Request(
            app: app, build: build, source: .tarball(staged), actor: actor, buildpacks: buildpacks)
        let pipeline = self.pipeline
        Task.detached {
            _ = await pipeline.run(request, output: output)
            try? FileManager.default.removeItem(atPath: staged)
        }
        return build
    }

    package func output(buildID: UUID) -> AsyncStream<String> {
        let store = pipeline.platform.store
        return BuildLogTail.follow(path: pipeline.logPath(buildID)) { (try? store.buildOutput(id: buildID)) ?? nil }
    }
}
