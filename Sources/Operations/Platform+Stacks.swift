package import Foundation
package import OpenrukoCore
import Store

// MARK: - Stacks (`stack`, `stack:set`, `stacks:build`, GET /stacks)

/// A stack apps may use, as `stack` and `GET /stacks` show it.
package struct StackSummary: Sendable, Hashable, Codable {
    package var name: String
    /// The stack of new apps.
    package var isDefault: Bool
    /// The Debian release of a built stack; nil for the legacy one (the host's `/usr`).
    package var release: String?
    /// The built version (`20261206T230102Z`); nil for the legacy stack.
    package var version: String?
    package var builtAt: Date?
}

extension Platform {
    /// Old Heroku stack names clients still send (heroku3 sends `cedar`): they mean the default.
    static let legacyStackNames: Set<String> = ["cedar", "cedar-10", "cedar-14"]

    /// The built stacks of this data directory.
    package var stackCatalog: StackCatalog { StackCatalog(layout: layout) }

    /// The stacks apps may use: the legacy one and every built one, the default marked.
    package func stacks() -> [StackSummary] {
        let catalog = stackCatalog
        let chosen = catalog.defaultStack()
        return [StackSummary(name: StackCatalog.legacy, isDefault: chosen == StackCatalog.legacy)]
            + catalog.built().map { built in
                StackSummary(
                    name: built.name, isDefault: chosen == built.name, release: built.release, version: built.version,
                    builtAt: built.builtAt)
            }
    }

    /// The stack to use for a requested name: nil and legacy names give the default
    /// (`OPENRUKO_DEFAULT_STACK` once built, else the legacy stack).
    /// - Throws: `invalid` naming the stacks there are, for a stack that is not built here.
    package func resolveStack(_ requested: String?) throws(OpenrukoError) -> String {
        let catalog = stackCatalog
        guard let requested, !Self.legacyStackNames.contains(requested.lowercased()) else { return catalog.defaultStack() }
        let name = requested.lowercased()
        guard catalog.isAvailable(name) else {
            let names = stacks().map(\.name).joined(separator: ", ")
            throw OpenrukoError(
                .invalid,
                "Stack \(requested.debugDescription) is not available here; stacks: \(names). "
                    + "An admin builds one with `openruko admin stacks:build NAME`.", resource: "stack")
        }
        return name
    }

    /// Sets the stack the next build uses (`heroku stack:set`); running dynos keep theirs.
    package func setBuildStack(_ name: String, _ stack: String, as principal: Principal) throws(OpenrukoError) -> App {
        let app = try self.app(name, as: principal)
        let resolved = try resolveStack(stack)
        guard resolved != app.stack else { return app }
        try store.setStack(appID: app.id, resolved)
        logAPI(app, "Stack set to \(resolved) by user \(try attribution(principal).email)")
        return try self.app(app.id.uuidString, as: principal)
    }

    /// Builds (or rebuilds) stack `name` from Debian's archive (admins only; needs root and
    /// mmdebstrap), saying what it does through `progress`.
    /// - Throws: `invalid` for a bad name, `forbidden` for non-admins, `unavailable`/`internal`
    ///   when the build cannot run or fails.
    package func buildStack(
        _ name: String, environment: [String: String] = ProcessInfo.processInfo.environment,
        progress: @escaping @Sendable (String) -> Void, as principal: Principal
    ) async throws(OpenrukoError) -> StackVersion {
        try requireAdmin(principal, to: "build stacks")
        guard StackCatalog.isValidName(name), name != StackCatalog.legacy else {
            throw OpenrukoError(
                .invalid, "\(name.debugDescription) cannot name a stack (2-32 of a-z, 0-9 and -, not \(StackCatalog.legacy)).",
                resource: "stack")
        }
        let recipe = try StackRecipe.from(environment: environment)
        guard let lock = try FileLock.attempt(layout.lock("stack-" + name)) else {
            throw OpenrukoError(.conflict, "The \(name) stack is being built right now; try again when that build has finished.")
        }
        defer { lock.unlock() }
        return try await StackImageBuilder(layout: layout, recipe: recipe, environment: environment).build(name, progress: progress)
    }
}
