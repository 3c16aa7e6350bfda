package import Foundation
package import OpenrukoCore
import Operations

/// The `BuildService` of openruko: source-tarball builds in the background through the same
/// pipeline as pushes, and the live output of any build (from its log file, whichever
/// process runs it).
package struct Builds: BuildService {
    package let pipeline: BuildPipeline
    /// Where builds run: their own process (the daemon), or this one (nil; tests).
    package let process: BuildProcess?
    /// The builds under way in the background (their owner cancels them at shutdown).
    package let tasks: BuildTasks

    package init(pipeline: BuildPipeline, process: BuildProcess? = nil, tasks: BuildTasks = BuildTasks()) {
        self.pipeline = pipeline
        self.process = process
        self.tasks = tasks
    }

    package func startBuild(app: App, tarball: String, version: String?, buildpacks: [String]?, user: User?)
        async throws(OpenrukoError) -> Build
    {
        let platform = pipeline.platform
        guard FileTree.isFile(tarball) else {
            throw OpenrukoError(.invalid, "The source tarball \(tarball) does not exist.", resource: "build")
        }
        let actor = if let user { Attribution(user) } else { try platform.attribution(.superuser) }
        let build = try platform.recordBuild(
            appID: app.id, commit: version, buildpacks: buildpacks ?? app.buildpacks, actor: actor)
        // Held while the build runs here: if the daemon dies, the next one sees it abandoned.
        let owner = BuildOwner.claim(build.id, layout: pipeline.layout)
        // The tarball is copied into the build's workspace before this returns, so the
        // caller may delete its upload afterwards.
        let uploads = pipeline.layout.uploads
        let staged = uploads + "/" + build.id.uuidString.lowercased() + ".tgz"
        do {
            try? FileManager.default.createDirectory(atPath: uploads, withIntermediateDirectories: true)
            chmod(uploads, 0o700)
            try FileManager.default.copyItem(atPath: tarball, toPath: staged)
        } catch {
            let output = try BuildOutput(logPath: pipeline.logPath(build.id)) { _ in }
            output.error("Cannot read the source tarball: \(error.localizedDescription)")
            output.finish()
            return platform.failBuild(id: build.id, output: output.text) ?? build
        }
        let pipeline = self.pipeline
        guard let process else {
            let output = try BuildOutput(logPath: pipeline.logPath(build.id)) { _ in }
            let request = BuildPipeline.Request(
                app: app, build: build, source: .tarball(staged), actor: actor, buildpacks: buildpacks)
            Task.detached {
                _ = await pipeline.run(request, output: output)
                try? FileManager.default.removeItem(atPath: staged)
                withExtendedLifetime(owner) {}
            }
            return build
        }
        let started = tasks.start(build.id) {
            let (status, printed) = await process.run(buildID: build.id, tarball: staged, buildpacks: buildpacks)
            try? FileManager.default.removeItem(atPath: staged)
            // A child that died before finishing its record (killed, out of memory, stopped by
            // a shutdown) fails it.
            guard let record = try? platform.buildRecord(id: build.id), record.status == .pending else { return }
            let logPath = pipeline.logPath(build.id)
            var text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            let reason =
                Task.isCancelled
                ? "The build was cancelled: openruko is stopping. Start it again once it is back.\n"
                : "The build process ended unexpectedly (\(status.map { "status \($0)" } ?? "not started")).\n"
                    + String(printed.suffix(2000))
            text += BuildOutput.prefixed(reason, " !     ")
            try? text.write(toFile: logPath, atomically: true, encoding: .utf8)
            _ = platform.failBuild(id: build.id, output: text)
            withExtendedLifetime(owner) {}
        }
        guard started else {
            try? FileManager.default.removeItem(atPath: staged)
            let text = BuildOutput.prefixed("The build was not started: openruko is stopping.\n", " !     ")
            return platform.failBuild(id: build.id, output: text) ?? build
        }
        return build
    }

    package func output(buildID: UUID) -> AsyncStream<String> {
        let platform = pipeline.platform
        return BuildLogTail.follow(path: pipeline.logPath(buildID)) { (try? platform.finishedBuildOutput(id: buildID)) ?? nil }
    }
}
