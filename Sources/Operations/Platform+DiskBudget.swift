package import Foundation
package import OpenrukoCore

// MARK: - The disk budget of pushes and builds (SSH, git over HTTPS and API builds alike)

extension Platform {
    /// Why a push or build bringing `incoming` bytes must be refused before it builds, or nil
    /// (`DiskBudget`): the free-space floor, then the admin's budget. With a budget, the bytes
    /// `DATA_DIR` uses come from the collector's kept figure plus the filesystem's growth since
    /// (a small read and a `statvfs`). `DATA_DIR` is walked again (and the figure rewritten)
    /// when the filesystem shrank since the figure — something was deleted, openruko's or
    /// another writer's, so growth no longer bounds what `DATA_DIR` gained — and before any
    /// refusal the figure alone does not make, or whose figure is older than `exactAfter`
    /// seconds, so that a stale figure never refuses a push. What stays estimated: another
    /// writer on the same filesystem freeing less than openruko wrote since the figure hides
    /// what it freed (a budget on a filesystem of its own is exact).
    /// - Parameters:
    ///   - incoming: the bytes the push brings, already stored under `DATA_DIR` (a pack in
    ///     git's quarantine, an uploaded source), so not counted twice; 0 when unknown.
    ///   - environment: where `OPENRUKO_DISK_BUDGET` and `OPENRUKO_PUSH_MIN_FREE_MB` are read.
    ///   - filesystem: `DATA_DIR`'s filesystem now (`DataDirUsage.filesystem`).
    /// - Throws: `OpenrukoError.invalid` for a malformed setting.
    package func diskRefusal(
        incoming: Int64 = 0, environment: [String: String] = ProcessInfo.processInfo.environment, exactAfter: TimeInterval = 30,
        filesystem: (DataLayout) -> (free: Int64, capacity: Int64, used: Int64) = DataDirUsage.filesystem
    ) throws(OpenrukoError) -> String? {
        let budget = try DiskBudget.from(environment: environment)
        let space = filesystem(layout)
        guard budget.total != nil else { return budget.refusal(used: nil, incoming: incoming, free: space.free) }
        var figure: DataDirUsage
        var walked = false
        if let kept = DataDirUsage.read(layout), space.used >= kept.filesystemUsed {
            figure = kept
        } else {
            figure = DataDirUsage.measure(layout, filesystemUsed: space.used)
            walked = true
        }
        var used = max(0, figure.estimate(filesystemUsedNow: space.used) - incoming)
        if !walked, budget.needsExactUsage(estimate: used, incoming: incoming) {
            // The growth may be another writer's: walk again unless the walked figure alone,
            // a recent one, already says the push is over.
            let overByFigure = budget.needsExactUsage(estimate: max(0, figure.bytes - incoming), incoming: incoming)
            if !overByFigure || Date().timeIntervalSince(figure.measuredAt) > exactAfter {
                figure = DataDirUsage.measure(layout, filesystemUsed: space.used)
                used = max(0, figure.bytes - incoming)
            }
        }
        return budget.refusal(used: used, incoming: incoming, free: space.free)
    }
}
