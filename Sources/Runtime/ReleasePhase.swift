import Foundation
package import OpenrukoCore

/// Heroku's release phase: the release's `release` command as a one-off dyno `release.N`
/// (N = the release version) with the new slug and config, before the release goes live.
/// Its output goes to the caller line by line and to the log (`app[release.N]`); it fails
/// when it exits non-zero or outlives `OPENRUKO_RELEASE_TIMEOUT` (1 hour).
package struct ReleasePhase: ReleasePhaseRunner {
    package let host: DynoHost

    package init(host: DynoHost) {
        self.host = host
    }

    package func runReleasePhase(
        app: App, release: Release, slug: Slug, command: String, output: @escaping @Sendable (String) -> Void
    ) async -> Bool {
        let spec = DynoSpec(
            app: app, release: release, slug: slug, type: ProcessType.release.rawValue, name: "release.\(release.version)",
            command: command, size: FormationEntry.defaultSize, kind: .oneOff)
        let run: OneOffRun
        do {
            run = try await OneOffRun(spec: spec, host: host, attachment: nil, echo: output) { _ in }
        } catch {
            output("No free port is left for the release phase (OPENRUKO_DYNO_PORTS).")
            return false
        }
        let limit = host.settings.releaseTimeout
        await run.run(limit: limit) {
            output("The release command did not finish within \(DynoLifecycle.seconds(limit)); stopping it.")
        }
        let driver = run.driver
        return await driver.completed
    }
}
