/// Runs a release's `release` process type as a one-off dyno before the release goes live
/// (Heroku's release phase). Implemented by the runtime.
package protocol ReleasePhaseRunner: Sendable {
    /// Runs `command` with the release's slug and config.
    /// - Parameters:
    ///   - output: receives every line the command prints, as it prints it.
    /// - Returns: whether the command exited 0 within the time limit.
    func runReleasePhase(
        app: App, release: Release, slug: Slug, command: String, output: @escaping @Sendable (String) -> Void
    ) async -> Bool
}
