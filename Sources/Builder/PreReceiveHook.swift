package import Foundation
import OpenrukoCore
import Operations

/// `openruko hook pre-receive`: what git's pre-receive hook runs during a push. Reads the
/// `old new ref` lines from stdin; a push of `main` or `master` builds and deploys (the
/// build's output goes to the pusher as `remote:` lines), other refs are accepted and said
/// not to be deployed. A non-zero exit makes git reject the whole push, so a failed build
/// leaves every ref where it was. A push that deploys (or deletes) main or master takes the
/// app's build lock first and is refused if its branches moved meanwhile; once it
/// succeeded, the lock stays held until git has moved the branch (`ReceivePackLock`).
package struct PreReceiveHook: Sendable {
    /// One line of the hook's input.
    package typealias Update = RefUpdate

    package let pipeline: BuildPipeline

    package init(pipeline: BuildPipeline) {
        self.pipeline = pipeline
    }

    /// The refs that deploy, in order of preference.
    package static let deployRefs = ["refs/heads/main", "refs/heads/master"]

    /// Parses the hook's stdin.
    package static func updates(_ input: String) -> [Update] { RefUpdate.parse(input) }

    /// Runs the hook.
    /// - Parameters:
    ///   - environment: `OPENRUKO_APP`, `OPENRUKO_PUSHER`, git's `GIT_QUARANTINE_PATH`, and the
    ///     build lock inherited from receive-pack (`OPENRUKO_BUILD_LOCK_FD`).
    ///   - sink: the pusher's terminal (stderr of the hook).
    /// - Returns: the exit status (0 accepts the push).
    package func run(input: String, environment: [String: String], sink: @escaping @Sendable (Data) -> Void) async -> Int32 {
        func say(_ text: String) { sink(Data(text.utf8)) }
        let platform = pipeline.platform
        guard let name = environment["OPENRUKO_APP"], let repository = environment["GIT_DIR"].map(Self.absolute) ?? Optional(platform.layout.repo(name)),
            let app = try? platform.deployTarget(name)
        else {
            say(" !     This repository belongs to no app (OPENRUKO_APP is missing or unknown).\n")
            return 1
        }
        let updates = Self.updates(input)
        let deployable = updates.filter { Self.deployRefs.contains($0.ref) && !Self.isZero($0.new) }
        let target = Self.deployRefs.lazy.compactMap { ref in deployable.first { $0.ref == ref } }.first
        for update in updates where update != target {
            if Self.isZero(update.new) {
                say("-----> Deleting \(update.ref) (nothing to deploy)\n")
            } else {
                say("-----> Storing \(update.ref) without deploying it: only main or master deploys\n")
            }
        }
        let lockDescriptor = ReceivePackLock.inherited(environment: environment, app: app.name, layout: platform.layout)
        func push(_ ref: String) -> BuildPipeline.Push {
            BuildPipeline.Push(repository: repository, updates: updates, ref: ref, lockDescriptor: lockDescriptor)
        }
        guard let target else {
            guard let deletion = updates.first(where: { Self.deployRefs.contains($0.ref) }) else { return 0 }
            return await pipeline.holdForDeletion(
                app: app, push: push(deletion.ref), actor: attribution(environment["OPENRUKO_PUSHER"]), say: say)
        }
        let actor = attribution(environment["OPENRUKO_PUSHER"])
        let build: Build
        do {
            build = try platform.recordBuild(appID: app.id, commit: target.new, buildpacks: app.buildpacks, actor: actor)
        } catch {
            say(" !     \(error.message)\n")
            return 1
        }
        // Held until this hook ends: if it is killed, the daemon sees the build abandoned.
        let owner = BuildOwner.claim(build.id, layout: platform.layout)
        defer { withExtendedLifetime(owner) {} }
        let output: BuildOutput
        do {
            output = try BuildOutput(logPath: pipeline.logPath(build.id), sink: sink)
        } catch {
            say(" !     \(error.message)\n")
            _ = platform.failBuild(id: build.id, output: error.message)
            return 1
        }
        var objects: [String] = []
        for key in ["GIT_QUARANTINE_PATH", "GIT_OBJECT_DIRECTORY"] {
            if let path = environment[key], path.hasPrefix("/"), !objects.contains(path) { objects.append(path) }
        }
        let request = BuildPipeline.Request(
            app: app, build: build, source: .commit(repository: repository, id: target.new, objectDirectories: objects), actor: actor,
            push: push(target.ref))
        let finished = await pipeline.run(request, output: output)
        return finished.status == .succeeded ? 0 : 1
    }

    /// The pushing user (`OPENRUKO_PUSHER` is a user id); the superuser's attribution if unknown.
    func attribution(_ pusher: String?) -> Attribution { pipeline.platform.attribution(pusher: pusher) }

    static func isZero(_ id: String) -> Bool { RefUpdate.isZero(id) }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }
}
