package import Foundation
package import OpenrukoCore

// MARK: - The disk budget of pushes and builds (SSH, git over HTTPS and API builds alike)

extension Platform {
    /// Why a push or build bringing `incoming` bytes must be refused before it builds, or nil
    /// (`DiskBudget`): the free-space floor, then the admin's budget. With a budget, the bytes
    /// `DATA_DIR` uses come from the collector's kept figure plus the filesystem's growth since
    /// (a small read and a `statvfs`). Only a refusal walks `DATA_DIR` again: when the
    /// filesystem's growth (perhaps not openruko's) made it, when the filesystem shrank since
    /// the figure, or when the figure is older than `exactAfter` seconds, so that a stale
    /// figure never refuses a push.
    /// - Parameters:
    ///   - incoming: the bytes the push brings, already stored under `DATA_DIR` (a pack in
    ///     git's quarantine, an uploaded source), so not counted twice; 0 when unknown.
    ///   - environment: where `OPENRUKO_DISK_BUDGET` and `OPENRUKO_PUSH_MIN_FREE_MB` are read.
    /// - Throws: `OpenrukoError.invalid` for a malformed setting.
    package func diskRefusal(
        incoming: Int64 = 0, environment: [String: String] = ProcessInfo.processInfo.environment, exactAfter: TimeInterval = 30
    ) throws(OpenrukoError) -> String? {
        let budget = try DiskBudget.from(environment: environment)
        let space = DataDirUsage.filesystem(layout)
        guard budget.total != nil else { return budget.refusal(used: nil, incoming: incoming, free: space.free) }
        var figure = DataDirUsage.read(layout) ?? DataDirUsage.measure(layout)
        var used = max(0, figure.estimate(filesystemUsedNow: space.used) - incoming)
        if budget.needsExactUsage(estimate: used, incoming: incoming) {
            // The growth may be another writer's on the same filesystem, and a shrunken one may
            // be openruko's own deletions: walk again unless the walked figure alone, a recent
            // one with nothing deleted since, already says the push is over.
            let overByFigure = budget.needsExactUsage(estimate: max(0, figure.bytes - incoming), incoming: incoming)
            let shrunk = space.used < figure.filesystemUsed
            if !overByFigure || shrunk || Date().timeIntervalSince(figure.measuredAt) > exactAfter {
                figure = DataDirUsage.measure(layout)
                used = max(0, figure.bytes - incoming)
            }
        }
        return budget.refusal(used: used, incoming: incoming, free: space.free)
    }
}
