package import Foundation

/// Builds that do not come from a push (the API's `POST /apps/{app}/builds` from a source
/// tarball), and the live output of any build. Implemented by the builder; used by the API.
package protocol BuildService: Sendable {
    /// Starts building an uploaded source tarball (a `.tar.gz` of the app's files) and
    /// returns the pending build at once; the build continues in the background and ends
    /// like a push (slug, release, rollout).
    /// - Parameters:
    ///   - tarball: path of the uploaded source archive.
    ///   - version: the source version to record (a commit id, or any label).
    ///   - buildpacks: buildpack URLs for this build only; nil to use the app's.
    func startBuild(app: App, tarball: String, version: String?, buildpacks: [String]?, user: User?) async throws(OpenrukoError)
        -> Build

    /// A build's output: what it printed so far, then live lines until it ends. Works for
    /// builds running in any process (pushes build in the git hook).
    func output(buildID: UUID) -> AsyncStream<String>
}
