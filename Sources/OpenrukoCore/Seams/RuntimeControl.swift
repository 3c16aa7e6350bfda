package import Foundation

/// A dyno as the runtime reports it (`heroku ps`).
package struct Dyno: Hashable, Sendable, Codable {
    /// Heroku's dyno states.
    package enum State: String, Sendable, Codable {
        case starting, up, crashed, down, idle
    }

    package var id: UUID
    /// `web.1`, `worker.2`, `release.1`.
    package var name: String
    package var type: String
    package var command: String
    package var state: State
    package var size: String
    package var releaseVersion: Int
    package var releaseID: UUID?
    package var createdAt: Date
    /// When the dyno entered its current state.
    package var updatedAt: Date

    package init(
        id: UUID, name: String, type: String, command: String, state: State, size: String, releaseVersion: Int,
        releaseID: UUID?, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.name = name
        self.type = type
        self.command = command
        self.state = state
        self.size = size
        self.releaseVersion = releaseVersion
        self.releaseID = releaseID
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// What the runtime says about a release before it goes live.
package enum RolloutReadiness: Sendable, Hashable, Codable {
    /// Its web dynos are up (or it runs none); they take the traffic once it is current.
    case ready
    /// No runtime runs here: the release is recorded and starts when the daemon does. The
    /// text says so to the user.
    case deferred(String)
    /// A new web dyno crashed or did not bind `$PORT` in time: why, and its last output lines.
    case failed(String, [String])
}

/// How the operations layer drives running dynos. The daemon implements it with the
/// supervisor; other processes (`openruko admin`, the git hook) reach the daemon through it.
package protocol RuntimeControl: Sendable {
    /// Starts the web dynos of `release` (not current yet) beside the running ones and waits
    /// until they are up or have failed, streaming progress to `output`. A ready release's
    /// dynos take over when it becomes current (`appChanged`).
    func prepareRollout(_ app: App, release: Release, output: @escaping @Sendable (String) -> Void) async -> RolloutReadiness
    /// The app's current release or formation changed: converge its dynos.
    func appChanged(_ app: App) async
    /// The app is gone: stop all its dynos and forget it.
    func appDestroyed(_ app: App) async
    /// Restarts every dyno, one type (`web`) or one dyno (`web.1`).
    func restart(_ app: App, target: String?) async throws(OpenrukoError)
    /// Stops one type or one dyno (it comes back on the next restart or scale, as on Heroku).
    func stop(_ app: App, target: String) async throws(OpenrukoError)
    /// The app's dynos with their states.
    func dynos(_ app: App) async throws(OpenrukoError) -> [Dyno]
    /// Starts a one-off dyno (`run.N`) of `release`: detached (output to the app's log) at
    /// once; with `attachment`, once a client connects to it (it is dropped when nobody does
    /// in time). It ends when its command does, at its time limit, on `ps:stop`, or when its
    /// client hangs up.
    /// - Throws: `invalid` over the app's limit of concurrent one-offs, `unavailable` without a runtime.
    func runOneOff(_ app: App, release: Release, slug: Slug, plan: OneOffPlan, attachment: DynoAttachment?) async throws(OpenrukoError)
        -> Dyno
    /// Starts `plan`'s command inside the running dyno `dyno` (`run:inside`, Heroku Fir): in
    /// its sandbox and cgroup, as its user, with its environment, once `attachment`'s client
    /// connects. Returns that dyno.
    /// - Throws: `notFound` for no such dyno, `conflict` when it is not up, `invalid` over the
    ///   app's one-off limit, `unavailable` without a runtime.
    func runInside(_ app: App, dyno: String, plan: OneOffPlan, attachment: DynoAttachment) async throws(OpenrukoError) -> Dyno
}

extension RuntimeControl {
    /// Runtimes that run no dynos here (other processes) refuse `run:inside`.
    package func runInside(_ app: App, dyno: String, plan: OneOffPlan, attachment: DynoAttachment) async throws(OpenrukoError) -> Dyno {
        throw OpenrukoError(
            .unavailable, "run:inside runs in the openruko daemon: use the API or ssh git@HOST run:inside APP DYNO CMD.", resource: "dyno")
    }

    /// Runtimes that run no dynos here (other processes) refuse one-offs.
    package func runOneOff(_ app: App, release: Release, slug: Slug, plan: OneOffPlan, attachment: DynoAttachment?)
        async throws(OpenrukoError) -> Dyno
    {
        throw OpenrukoError(
            .unavailable, "One-off dynos run in the openruko daemon: use the API or ssh git@HOST run APP CMD.", resource: "dyno")
    }
}

/// A runtime for processes that have none: changes are recorded in the store and the
/// daemon converges on them when it starts.
package struct DetachedRuntime: RuntimeControl {
    package init() {}
    package func prepareRollout(_ app: App, release: Release, output: @escaping @Sendable (String) -> Void) async -> RolloutReadiness {
        .deferred(Self.deferredNote)
    }
    package func appChanged(_ app: App) async {}
    package func appDestroyed(_ app: App) async {}
    package func restart(_ app: App, target: String?) async throws(OpenrukoError) { throw Self.unavailable }
    package func stop(_ app: App, target: String) async throws(OpenrukoError) { throw Self.unavailable }
    package func dynos(_ app: App) async throws(OpenrukoError) -> [Dyno] { throw Self.unavailable }

    /// What a release made without a running daemon tells the user.
    package static let deferredNote =
        "       The openruko daemon is not running: this release is recorded and its dynos start when the daemon starts."

    private static let unavailable = OpenrukoError(
        .unavailable, "The openruko daemon is not running, so there are no dynos. Start it with 'openruko daemon'.")
}
