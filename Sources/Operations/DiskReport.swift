package import Foundation
package import OpenrukoCore

/// `disk`: bytes per app and per kind, the largest items, free space and what the next
/// collection would free. An app's report (`disk APP`) holds only that app's figures and
/// paths; the platform's (`openruko admin disk`) every app's, `other` and the total.
package struct DiskReport: Sendable, Hashable, Codable {
    /// One app's bytes.
    package struct AppUsage: Sendable, Hashable, Codable {
        package var name: String
        /// Bytes per `DiskItem.Kind` raw value (every kind present, 0 when none).
        package var bytes: [String: Int64]
        package var total: Int64
        /// What the next collection would free of this app.
        package var reclaimable: Int64
    }

    /// One large item.
    package struct Item: Sendable, Hashable, Codable {
        /// Relative to `DATA_DIR`.
        package var path: String
        package var kind: String
        package var app: String?
        package var bytes: Int64
        /// Why the next collection would remove it (nil: it stays).
        package var garbage: String?
    }

    package var apps: [AppUsage]
    /// Bytes per kind over the apps shown.
    package var kinds: [String: Int64]
    /// The biggest items, largest first.
    package var largest: [Item]
    /// Bytes the next collection would free (of the apps shown; with the platform report,
    /// also what belongs to no app any more).
    package var reclaimable: Int64
    /// Bytes free for openruko on the data directory's filesystem, and its size.
    package var free: Int64
    package var capacity: Int64
    /// Platform report only: what no app owns (the database, keys, stacks, leftovers of
    /// destroyed apps), and everything under `DATA_DIR` (as `du -sb`).
    package var other: Int64?
    package var total: Int64?
    /// Platform report only: the data directory.
    package var dataDir: String?
}

/// What one garbage collection did (or, in a dry run, would do).
package struct GarbageCollection: Sendable, Hashable, Codable {
    /// One removed path.
    package struct Removal: Sendable, Hashable, Codable {
        /// Relative to `DATA_DIR`.
        package var path: String
        package var kind: String
        package var bytes: Int64
        package var reason: String
    }

    package var dryRun: Bool
    package var removed: [Removal]
    package var freed: Int64
    /// Release versions that expired in this run, per app.
    package var expired: [String: [Int]]
    /// How long the run took, in seconds.
    package var seconds: Double

    /// One line for the daemon's log.
    package var summary: String {
        let releases = expired.values.reduce(0) { $0 + $1.count }
        return "\(dryRun ? "would remove" : "removed") \(removed.count) items, \(freed) bytes freed; "
            + "\(releases) releases expired; \(String(format: "%.2f", seconds)) s"
    }
}

extension DiskItem.Kind {
    /// Zero bytes for every kind.
    static var zeros: [String: Int64] { Dictionary(uniqueKeysWithValues: allCases.map { ($0.rawValue, 0) }) }
}
