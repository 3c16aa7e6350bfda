package import Foundation
import LibGit2
package import OpenrukoCore

// MARK: - The build lock of a git push: stale pushes refused, the lock kept until the ref moves

extension BuildPipeline {
    /// The git push a build (or a deletion of a deploy branch) comes from.
    package struct Push: Sendable {
        /// The app's bare repository.
        package var repository: String
        /// Every ref update of the push, each with the value git expects the ref to have.
        package var updates: [RefUpdate]
        /// The ref the push deploys (or deletes): once it succeeds, the build lock stays held
        /// until git has updated it.
        package var ref: String
        /// The lock file as opened by the push's receive-pack (`ReceivePackLock.inherited`).
        package var lockDescriptor: Int32?

        package init(repository: String, updates: [RefUpdate], ref: String, lockDescriptor: Int32?) {
            self.repository = repository
            self.updates = updates
            self.ref = ref
            self.lockDescriptor = lockDescriptor
        }
    }

    /// Takes the app's build lock; for a push, then checks that git will still accept the
    /// push's ref updates (`StalePush`) and refuses it at once when not.
    /// - Parameters:
    ///   - waiting: called once with the holder's line when another build holds the lock.
    func takeLock(app: String, holder: String, push: Push?, waiting: (String) -> Void) async -> Result<BuildLock, Failure> {
        let lock: BuildLock
        do {
            lock = try await BuildLock.acquire(
                app: app, layout: layout, holder: holder, inherited: push?.lockDescriptor, waiting: waiting)
        } catch {
            return .failure(Failure(message: error.message))
        }
        guard let push else { return .success(lock) }
        let observed: [String: StalePush.Observed]
        do {
            observed = try Self.observe(push)
        } catch {
            return .failure(Failure(message: "Cannot read the branches of \(app): \(error.message)"))
        }
        if let refusal = StalePush.refusal(app: app, updates: push.updates, observed: observed) {
            return .failure(Failure(message: refusal))
        }
        return .success(lock)
    }

    /// A push that deletes the deploy branch builds nothing but moves the branch builds
    /// follow: it waits for the build lock like a build, is refused when stale, and keeps
    /// the lock until git has deleted the branch.
    /// - Parameters:
    ///   - say: the pusher's terminal.
    /// - Returns: the hook's exit status (0 lets git delete the branch).
    package func holdForDeletion(app: App, push: Push, actor: Attribution, say: (String) -> Void) async -> Int32 {
        let holder = "deletion of \(StalePush.shortName(push.ref)) by \(actor.email)"
        let result = await takeLock(app: app.name, holder: holder, push: push) { current in
            say("-----> Waiting for \(current) to finish: \(app.name) builds one push at a time...\n")
        }
        switch result {
        case .success(let lock):
            lock.handOver(until: push.ref)
            return 0
        case .failure(let failure):
            say(BuildOutput.prefixed(failure.message, " !     "))
            return 1
        }
    }

    /// The current value of each ref the push updates, and whether git's lock file for it
    /// exists.
    static func observe(_ push: Push) throws(GitError) -> [String: StalePush.Observed] {
        let repository = try GitRepository.openBare(at: push.repository)
        var observed: [String: StalePush.Observed] = [:]
        for update in push.updates {
            observed[update.ref] = StalePush.Observed(
                value: repository.commitID(of: update.ref),
                locked: FileManager.default.fileExists(atPath: push.repository + "/" + update.ref + ".lock"))
        }
        return observed
    }
}
