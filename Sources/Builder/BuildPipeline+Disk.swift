import Foundation
import OpenrukoCore
import Operations

// MARK: - The disk: the budget before a build, the build cache's cap after it

extension BuildPipeline {
    /// Refuses the build, before anything is checked out, when the disk is too full or the
    /// push would take `DATA_DIR` over `OPENRUKO_DISK_BUDGET` (`Platform.diskRefusal`). The
    /// push brings what git put in its quarantine (or the uploaded source tarball).
    func checkDiskBudget(_ request: Request) throws {
        let incoming: Int64
        switch request.source {
        case .commit(let repository, _, let objectDirectories):
            let own = (repository as NSString).standardizingPath + "/objects"
            incoming = Set(objectDirectories.map { ($0 as NSString).standardizingPath }).subtracting([own])
                .filter { $0.hasPrefix(own + "/") }
                .reduce(0) { $0 + DiskUsage.bytes($1) }
        case .tarball(let path):
            incoming = DiskUsage.regularFileSize(path) ?? 0
        }
        do {
            if let refusal = try platform.diskRefusal(incoming: incoming) { throw Failure(message: refusal) }
        } catch let error as OpenrukoError {
            throw Failure(message: error.message)
        }
    }

    /// Empties the app's build cache when a build left it over `OPENRUKO_BUILD_CACHE_MAX`
    /// (Heroku purges caches too): the next build runs cold. Only the holder of the app's build
    /// lock calls this. The walk and the removal never follow a link the build left in the
    /// cache nor leave its filesystem (`DiskUsage`).
    /// - Returns: the bytes removed (0 when the cache was within its cap).
    @discardableResult
    func capBuildCache(app: String, output: BuildOutput) -> Int64 {
        let cache = layout.cache(app)
        let bytes = DiskUsage.bytes(cache)
        guard bytes > settings.buildCacheMaxBytes else { return 0 }
        let freed = DiskUsage.remove(cache)
        output.heading(
            "Build cache of \(DiskBudget.text(bytes)) is over its cap of \(DiskBudget.text(settings.buildCacheMaxBytes)) "
                + "(OPENRUKO_BUILD_CACHE_MAX): purged, the next build runs without a cache")
        return freed
    }
}
