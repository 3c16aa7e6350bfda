import Foundation
package import OpenrukoCore

// MARK: - Git access (SSH and smart HTTP alike)

extension Platform {
    /// The app whose repository `principal` reaches with git (push or clone): the same rule for
    /// every front end, owners, collaborators and admins (`app(_:as:)`).
    /// - Parameters:
    ///   - name: an app name already checked with `AppName.isValid`.
    ///   - service: a push (`receivePack`) is refused, before git writes anything, while the
    ///     data directory has less than `OPENRUKO_PUSH_MIN_FREE_MB` (default 100) MB free or
    ///     uses up its `OPENRUKO_DISK_BUDGET` (`diskRefusal`).
    /// - Throws: `notFound` ("Couldn't find that app.") for a missing app and for one the
    ///   principal may not touch alike; `unavailable` when the app's bare repository is gone
    ///   or the disk is full.
    package func gitRepository(_ name: String, as principal: Principal, for service: GitService = .uploadPack) throws(OpenrukoError)
        -> App
    {
        let app = try app(name, as: principal)
        guard FileManager.default.fileExists(atPath: layout.repo(app.name) + "/HEAD") else {
            throw OpenrukoError(.unavailable, "The repository of \(app.name) is missing. Ask an admin to recreate the app.")
        }
        if service == .receivePack, let refusal = try diskRefusal() {
            throw OpenrukoError(.unavailable, refusal)
        }
        return app
    }
}
