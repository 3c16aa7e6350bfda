package import Foundation
import LibGit2
package import OpenrukoCore
package import Operations
package import Isolation

/// One build, from source to release — the same pipeline for a `git push` (the
/// pre-receive hook) and an uploaded source tarball (the builds API): take the app's build
/// lock, check the source out into a fresh directory, apply `.slugignore`, run the
/// buildpacks (or hand a Dockerfile app to the container builder), discover process types,
/// pack and check the slug, record it and deploy it through the operations layer. Output
/// follows DESIGN.md §2.5; any failure leaves the app's current release untouched. A push
/// whose branch moved meanwhile is refused before building, and a deployed push keeps the
/// lock until git has moved the branch (`BuildPipeline+Push.swift`).
package struct BuildPipeline: Sendable {
    /// Where the source comes from.
    package enum Source: Sendable, Hashable {
        /// A commit of the app's bare repository; `objectDirectories` adds receive-pack's
        /// quarantine, where a pre-receive hook finds the pushed objects.
        case commit(repository: String, id: String, objectDirectories: [String])
        /// A gzipped source tarball on the server (it is copied into the build).
        case tarball(String)
    }

    /// What to build.
    package struct Request: Sendable {
        package var app: App
        package var build: Build
        package var source: Source
        package var actor: Attribution
        /// Buildpacks for this build only; nil to use the app's (or detect).
        package var buildpacks: [String]?
        /// The git push being built, nil for an API build: checked once the lock is held,
        /// and the lock kept until git moves the branch.
        package var push: Push?

        package init(app: App, build: Build, source: Source, actor: Attribution, buildpacks: [String]? = nil, push: Push? = nil) {
            self.app = app
            self.build = build
            self.source = source
            self.actor = actor
            self.buildpacks = buildpacks
            self.push = push
        }
    }

    /// A build that stopped: what to tell the user (` !     ` lines).
    struct Failure: Error {
        var message: String
    }

    package let platform: Platform
    package let resources: Resources
    package let settings: BuildSettings
    package let sandbox: Sandbox
    package let containerBuilder: any ContainerBuilder

    package init(
        platform: Platform, resources: Resources, settings: BuildSettings, sandbox: Sandbox,
        containerBuilder: any ContainerBuilder = UnavailableContainerBuilder()
    ) {
        self.platform = platform
        self.resources = resources
        self.settings = settings
        self.sandbox = sandbox
        self.containerBuilder = containerBuilder
    }

    var layout: DataLayout { platform.layout }

    /// The build log of a build, written live while it runs.
    package func logPath(_ buildID: UUID) -> String { layout.buildLog(buildID.uuidString.lowercased()) }

    /// Runs the build to its end and records the outcome on the build record.
    /// - Returns: the finished build (`succeeded` with its slug and release, or `failed`).
    package func run(_ request: Request, output: BuildOutput) async -> Build {
        var request = request
        let holder = "build \(request.build.id.uuidString.lowercased().prefix(8)) by \(request.actor.email)"
        let lock: BuildLock
        switch await takeLock(app: request.app.name, holder: holder, push: request.push, waiting: { current in
            output.heading("Waiting for \(current) to finish: \(request.app.name) builds one push at a time...")
        }) {
        case .success(let held): lock = held
        case .failure(let failure): return finish(request, output: output, outcome: .failure(failure), used: [])
        }
        defer { withExtendedLifetime(lock) {} }
        // The app may have changed (buildpacks, name) while this build waited.
        if let fresh = try? platform.deployTarget(request.app.id.uuidString.lowercased()) { request.app = fresh }
        failInterruptedBuilds(of: request.app, except: request.build.id)
        var workspace = BuildWorkspace(
            layout: layout, app: request.app.name, buildID: request.build.id,
            identity: sandbox.identity.forApp(uid: request.app.sandboxUID))
        workspace.tmpBytes = UInt64(settings.buildTmpMaxBytes)
        defer { workspace.remove() }
        var used: [String] = []
        do {
            try checkDiskBudget(request)
        } catch let failure as Failure {
            return finish(request, output: output, outcome: .failure(failure), used: used)
        } catch {
            return finish(request, output: output, outcome: .failure(Failure(message: "\(error)")), used: used)
        }
        let outcome: Result<(Slug, Release), Failure>
        do {
            output.heading("Building on the \(request.app.stack) stack")
            do {
                workspace.stack = try StackCatalog(layout: layout).root(of: request.app.stack, .build)
            } catch {
                throw Failure(message: error.message)
            }
            try await prepare(request, workspace: workspace, output: output)
            let compiled = try await compile(request, workspace: workspace, output: output, used: &used)
            let slug = try await pack(request, workspace: workspace, compiled: compiled, output: output)
            let release = try await launch(request, slug: slug, output: output)
            if let push = request.push { lock.handOver(until: push.ref) }
            outcome = .success((slug, release))
        } catch let failure as Failure {
            outcome = .failure(failure)
        } catch {
            outcome = .failure(Failure(message: "\(error)"))
        }
        // Whatever the outcome, the cache comes back (with the trees the build asked to keep), and
        // goes if the build left it over its cap (the lock is still held).
        CacheMoves.apply(work: workspace.work, build: (workspace.source as NSString).lastPathComponent)
        workspace.returnCache()
        capBuildCache(app: request.app.name, output: output)
        return finish(request, output: output, outcome: outcome, used: used)
    }

    /// Workspace, source, `.slugignore`, ENV_DIR.
    func prepare(_ request: Request, workspace: BuildWorkspace, output: BuildOutput) async throws {
        do {
            try workspace.create()
        } catch {
            throw Failure(message: "Cannot prepare the build directory: \(error.localizedDescription)")
        }
        switch request.source {
        case .commit(let repository, let id, let objectDirectories):
            do {
                let repo = try GitRepository.openBare(at: repository)
                for directory in objectDirectories { try repo.addObjectDirectory(directory) }
                try repo.checkout(commit: id, into: workspace.source)
            } catch {
                throw Failure(message: "Cannot check out \(id.prefix(7)): \(error.message)")
            }
            workspace.ownSource()
        case .tarball(let path):
            do {
                try FileManager.default.copyItem(atPath: path, toPath: workspace.upload)
                chmod(workspace.upload, 0o400)
                workspace.identity.own(workspace.upload)
            } catch {
                throw Failure(message: "Cannot read the source tarball: \(error.localizedDescription)")
            }
            if let problem = try await steps(request, workspace: workspace, output: output).unpackSource() {
                throw Failure(message: "The source tarball could not be unpacked:\n\(problem)")
            }
        }
        if let text = FileTree.text(workspace.source + "/.slugignore") {
            let removed = Slugignore(parsing: text).apply(to: workspace.source)
            if !removed.isEmpty {
                output.detail("Removed \(removed.count) path\(removed.count == 1 ? "" : "s") listed in .slugignore")
            }
        }
        do {
            try workspace.writeConfig(try platform.buildConfig(appID: request.app.id))
        } catch {
            throw Failure(message: "Cannot prepare the config vars for the build: \(error)")
        }
    }

    /// The sandboxed steps of this build.
    func steps(_ request: Request, workspace: BuildWorkspace, output: BuildOutput) -> BuildpackSteps {
        let commit: String
        switch request.source {
        case .commit(_, let id, _): commit = id
        case .tarball: commit = request.build.commit ?? ""
        }
        var environment = [
            "PATH": SandboxConfiguration.defaultPath, "HOME": "/app", "STACK": request.app.stack,
            "SOURCE_VERSION": commit, "REQUEST_ID": request.build.id.uuidString.lowercased(),
        ]
        // Trees move back into the cache after packing only when it is in the build's mount.
        if workspace.cacheBind.isEmpty {
            environment[CacheMoves.variable] = BuildWorkspace.cacheDirectory + "/" + CacheMoves.fileName
        }
        return BuildpackSteps(sandbox: sandbox, workspace: workspace, settings: settings, output: output, environment: environment)
    }

    /// Compresses the build directory (or takes the container artifact) and records the slug.
    func pack(_ request: Request, workspace: BuildWorkspace, compiled: Compiled, output: BuildOutput) async throws -> Slug {
        let slugID = UUID()
        let directory = layout.slugs(request.app.name)
        let final = layout.slug(request.app.name, id: slugID.uuidString.lowercased())
        let partial = final + ".partial"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var processTypes = compiled.processTypes
        var images: [String: ContainerImage]?
        if compiled.container {
            let request = ContainerBuildRequest(
                app: request.app, sourceDirectory: workspace.source, artifactPath: partial, cacheDirectory: workspace.cache,
                commit: request.build.commit)
            do {
                let built = try await containerBuilder.build(request) { output.write($0) }
                processTypes = built.processTypes
                images = built.images
            } catch {
                try? FileManager.default.removeItem(atPath: partial)
                throw Failure(message: error.message)
            }
        }
        output.heading("Compressing...")
        let packed: SlugPacker.Result
        if compiled.container {
            packed = try Self.measure(partial)
        } else {
            do {
                packed = try SlugPacker.pack(
                    workspace.source, to: partial, memberCache: (layout.slugMembers(request.app.name), settings.slugMaxBytes))
            } catch {
                throw Failure(message: error.message)
            }
        }
        if compiled.container, packed.size > settings.imageMaxBytes {
            try? FileManager.default.removeItem(atPath: partial)
            throw Failure(message: "Compiled image size: \(SlugPacker.megabytes(packed.size)) is too large (max is \(SlugPacker.limit(settings.imageMaxBytes))).\n"
                + "Push rejected: make the image smaller (multi-stage builds, fewer layers) or raise OPENRUKO_IMAGE_MAX_BYTES.")
        }
        guard compiled.container || packed.size <= settings.slugMaxBytes else {
            try? FileManager.default.removeItem(atPath: partial)
            var lines = [
                "Compiled slug size: \(SlugPacker.megabytes(packed.size)) is too large (max is \(SlugPacker.limit(settings.slugMaxBytes))).",
                "See: http://devcenter.heroku.com/articles/slug-size",
                "The largest paths in the slug (uncompressed):",
            ]
            lines += packed.largest.map { "  \(SlugPacker.megabytes($0.size).padding(toLength: 8, withPad: " ", startingAt: 0)) \($0.path)" }
            throw Failure(message: lines.joined(separator: "\n"))
        }
        output.detail("Done: \(SlugPacker.megabytes(packed.size))")
        do {
            try FileManager.default.moveItem(atPath: partial, toPath: final)
            chmod(final, 0o600)
            return try platform.recordSlug(
                appID: request.app.id, id: slugID, processTypes: processTypes, size: packed.size, checksum: "SHA256:" + packed.sha256,
                commit: request.build.commit, commitDescription: compiled.commitDescription,
                buildpackDescription: compiled.buildpackDescription, stack: request.app.stack, images: images)
        } catch {
            try? FileManager.default.removeItem(atPath: final)
            throw Failure(message: "Cannot store the slug: \(error)")
        }
    }

    /// Size and checksum of a finished artifact.
    static func measure(_ path: String) throws -> SlugPacker.Result {
        guard let (size, sha256) = SlugChecksum.file(path) else {
            throw Failure(message: "The container build wrote no artifact.")
        }
        return SlugPacker.Result(size: size, sha256: sha256, largest: [])
    }

    /// Creates the release through the operations layer ("Deploy abc1234").
    func launch(_ request: Request, slug: Slug, output: BuildOutput) async throws -> Release {
        output.heading("Launching...")
        let release: Release
        // A push whose receive-pack shares the lock goes live once git has moved the branch.
        let hold = request.push?.lockDescriptor != nil
        do {
            release = try await platform.deploy(request.app, slug: slug, actor: request.actor, holdUntilRef: hold) { line in
                output.write(line.hasSuffix("\n") ? line : line + "\n")
            }
        } catch {
            throw Failure(message: "Could not create the release: \(error.message)")
        }
        guard release.status == .succeeded || (hold && release.status == .pending) else {
            throw Failure(message: "Release v\(release.version) failed; the current release keeps running.")
        }
        output.detail("Released v\(release.version)")
        output.detail("\(platform.urls.webURL(request.app.name)) deployed to openruko")
        return release
    }

    /// Marks the app's other pending builds whose process died (their log is no longer
    /// locked) as failed, keeping what they printed.
    func failInterruptedBuilds(of app: App, except current: UUID) {
        for build in (try? platform.builds(appID: app.id)) ?? [] where build.status == .pending && build.id != current {
            let path = logPath(build.id)
            if let handle = FileHandle(forReadingAtPath: path) {
                defer { try? handle.close() }
                guard flock(handle.fileDescriptor, LOCK_SH | LOCK_NB) == 0 else { continue }
            }
            let text = (FileTree.text(path, limit: 64 << 20) ?? "") + " !     Build interrupted: its process ended before it finished.\n"
            _ = platform.failBuild(id: build.id, output: text)
        }
    }

    /// Prints the failure, records the outcome and ends the live log.
    func finish(_ request: Request, output: BuildOutput, outcome: Result<(Slug, Release), Failure>, used: [String]) -> Build {
        let status: Build.Status
        var slugID: UUID?
        var releaseID: UUID?
        switch outcome {
        case .success(let (slug, release)):
            status = .succeeded
            slugID = slug.id
            releaseID = release.id
        case .failure(let failure):
            status = .failed
            output.error(failure.message)
            output.write("\n")
            if case .commit = request.source { output.error("Push failed") } else { output.error("Build failed") }
        }
        let finished = (try? platform.finishBuild(
            id: request.build.id, status: status, output: output.text, buildpacks: used, slugID: slugID, releaseID: releaseID))
        output.finish()
        var fallback = request.build
        fallback.status = status
        return finished ?? fallback
    }
}
