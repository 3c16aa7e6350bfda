import Foundation
package import OpenrukoCore
import Store

// MARK: - Renaming an app

extension Platform {
    /// Renames an app with its repository, slugs and build cache. The new name and the old one
    /// its files are under go into the store together, the files move, then the old name is
    /// dropped: a daemon killed in between finishes the move at its next start
    /// (`finishInterruptedRenames`), so the app never loses its files to a crash.
    package func renameApp(_ name: String, to newName: String, as principal: Principal) throws(OpenrukoError) -> App {
        let app = try self.app(name, as: principal)
        let target = try AppName(newName).rawValue
        guard target != app.name else { return app }
        try store.renameApp(id: app.id, to: target, movingFrom: app.name)
        var moved: [(from: String, to: String)] = []
        for (from, to) in appFiles(app.name, target) where FileManager.default.fileExists(atPath: from) {
            try? FileManager.default.removeItem(atPath: to)  // debris of a destroyed app of that name
            guard rename(from, to) == 0 else {
                let reason = String(cString: strerror(errno))
                for (back, done) in moved.reversed() { _ = rename(done, back) }
                try? store.renameApp(id: app.id, to: app.name)
                throw OpenrukoError(.unavailable, "Cannot rename \(app.name): moving \(from) failed (\(reason)); nothing was changed.")
            }
            moved.append((from, to))
        }
        try store.finishRename(id: app.id)
        return try self.app(target, as: principal)
    }

    /// Moves the files of renames a killed daemon left half-way to their app's new name (at
    /// start, before anything serves). Returns the renames finished, as `old → new`.
    @discardableResult
    package func finishInterruptedRenames() -> [String] {
        var finished: [String] = []
        for rename in (try? store.unfinishedRenames()) ?? [] {
            for (from, to) in appFiles(rename.from, rename.to) where FileManager.default.fileExists(atPath: from) {
                // Both there: the kill came before the debris of a destroyed app of the new name went.
                try? FileManager.default.removeItem(atPath: to)
                _ = Foundation.rename(from, to)
            }
            guard (try? store.finishRename(id: rename.id)) != nil else { continue }
            finished.append("\(rename.from) → \(rename.to)")
        }
        return finished
    }

    /// What of an app lives under its name: its repository, slugs and build cache, as
    /// (under `old`, under `new`).
    private func appFiles(_ old: String, _ new: String) -> [(String, String)] {
        [(layout.repo(old), layout.repo(new)), (layout.slugs(old), layout.slugs(new)), (layout.cache(old), layout.cache(new))]
    }
}
