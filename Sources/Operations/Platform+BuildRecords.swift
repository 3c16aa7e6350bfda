package import Foundation
package import OpenrukoCore
import Store

// MARK: - Build records for the build machinery (the pre-receive hook, `Builds`, the pipeline)

/// The build machinery's one door to builds, slugs and the config it builds with. Its callers
/// run on behalf of a push or an API build that was authorized before it reached them (the
/// SSH and HTTP front ends, `Platform.startBuild`), so nothing here checks a principal.
extension Platform {
    /// The app named (or with the id) `nameOrID`, fresh from the store; nil when there is none.
    package func deployTarget(_ nameOrID: String) throws(OpenrukoError) -> App? {
        try store.app(nameOrID)
    }

    /// Records a new pending build of `appID`.
    package func recordBuild(appID: UUID, commit: String?, buildpacks: [String], actor: Attribution) throws(OpenrukoError) -> Build {
        try store.createBuild(appID: appID, commit: commit, buildpacks: buildpacks, actor: actor)
    }

    /// Records how a build ended (its output, the buildpacks it used, what it made).
    package func finishBuild(
        id: UUID, status: Build.Status, output: String, buildpacks: [String]? = nil, slugID: UUID? = nil, releaseID: UUID? = nil
    ) throws(OpenrukoError) -> Build {
        try store.finishBuild(id: id, status: status, output: output, buildpacks: buildpacks, slugID: slugID, releaseID: releaseID)
    }

    /// Marks a build failed with `output`, returning the record, or nil when it cannot be
    /// written (the caller keeps what it has).
    package func failBuild(id: UUID, output: String) -> Build? {
        try? store.finishBuild(id: id, status: .failed, output: output, slugID: nil, releaseID: nil)
    }

    /// Every build of `appID`, oldest first.
    package func builds(appID: UUID) throws(OpenrukoError) -> [Build] {
        try store.builds(appID: appID)
    }

    /// One build's record, nil when there is none.
    package func buildRecord(id: UUID) throws(OpenrukoError) -> Build? {
        try store.build(id: id)
    }

    /// A finished build's stored output, nil while it runs or when there is none.
    package func finishedBuildOutput(id: UUID) throws(OpenrukoError) -> String? {
        try store.buildOutput(id: id)
    }

    /// The config vars a build of `appID` runs with (written to its `ENV_DIR`).
    package func buildConfig(appID: UUID) throws(OpenrukoError) -> [String: String] {
        try store.config(appID: appID)
    }

    /// Records a packed slug of `appID` (the artifact is already in place under `DATA_DIR`).
    package func recordSlug(
        appID: UUID, id: UUID, processTypes: [String: String], size: Int64, checksum: String, commit: String?,
        commitDescription: String?, buildpackDescription: String?, stack: String, images: [String: ContainerImage]?
    ) throws(OpenrukoError) -> Slug {
        try store.createSlug(
            appID: appID, id: id, processTypes: processTypes, size: size, checksum: checksum, commit: commit,
            commitDescription: commitDescription, buildpackDescription: buildpackDescription, stack: stack, images: images)
    }

    /// Who a push is attributed to: the user whose id git's hook was given (`OPENRUKO_PUSHER`),
    /// else the superuser.
    package func attribution(pusher: String?) -> Attribution {
        if let pusher, let id = UUID(uuidString: pusher), let user = try? store.user(id: id) {
            return Attribution(user)
        }
        return (try? attribution(.superuser)) ?? Attribution(userID: nil, email: "superuser@localhost")
    }
}
