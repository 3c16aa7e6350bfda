import Foundation
package import OpenrukoCore
package import Operations
package import Store

/// An operations layer on a real SQLite file in a temporary directory, with a fake
/// repository store (no git) unless one is given.
package struct TestInstallation: Sendable {
    package let directory: TemporaryDirectory
    package let layout: DataLayout
    package let store: PlatformStore
    package let platform: Platform

    package init(
        repositories: (any RepositoryStore)? = nil, runtime: any RuntimeControl = DetachedRuntime(),
        releasePhase: any ReleasePhaseRunner = UnavailableReleasePhase(), logs: any LogSink = DiscardingLogSink()
    ) throws {
        directory = TemporaryDirectory("openruko-store")
        layout = DataLayout(root: directory.path)
        store = try PlatformStore(path: layout.database)
        platform = Platform(
            store: store, layout: layout, repositories: repositories ?? InMemoryRepositories(), runtime: runtime,
            releasePhase: releasePhase, logs: logs)
    }

    /// Creates an admin and a regular user.
    package func seedUsers() throws -> (admin: User, user: User) {
        let admin = try platform.createUser(email: "admin@example.com", admin: true, as: .superuser)
        let user = try platform.createUser(email: "user@example.com", admin: false, as: .superuser)
        return (admin, user)
    }
}

/// A repository store that only remembers names.
package final class InMemoryRepositories: RepositoryStore, @unchecked Sendable {
    // @unchecked: `names` is only touched while holding `lock`.
    private let lock = NSLock()
    private var names: Set<String> = []

    package init() {}

    package func create(app: String) throws(OpenrukoError) { _ = lock.withLock { names.insert(app) } }
    package func delete(app: String) { _ = lock.withLock { names.remove(app) } }
    package func size(app: String) -> Int64? { lock.withLock { names.contains(app) ? 0 : nil } }
    /// Whether a repository exists.
    package func contains(_ app: String) -> Bool { lock.withLock { names.contains(app) } }
}
