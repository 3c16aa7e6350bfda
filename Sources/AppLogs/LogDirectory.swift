package import Foundation
package import OpenrukoCore

/// An app's log on disk, `DATA_DIR/logs/apps/APP_ID/`: numbered generation files
/// (`0000000001.log`, `0000000002.log`, …) of formatted lines, the newest taking appends,
/// and a `lock` file every writer holds (`flock`) while it appends or rotates. When the
/// newest file reaches half the app's limit a new one starts and older ones than the previous
/// are deleted, so the app never holds much more than its limit and the oldest lines go first.
package struct LogDirectory: Sendable, Hashable {
    /// The directory.
    package let path: String

    package init(layout: DataLayout, appID: UUID) {
        path = layout.appLogs + "/" + appID.uuidString.lowercased()
    }

    /// The file of one generation.
    package func file(_ generation: Int) -> String {
        let digits = String(generation)
        return path + "/" + String(repeating: "0", count: max(0, 10 - digits.count)) + digits + ".log"
    }

    /// The `flock` file writers hold.
    var lockFile: String { path + "/lock" }

    /// The generations on disk, oldest first.
    package func generations() -> [Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.compactMap { name in name.hasSuffix(".log") ? Int(name.dropLast(4)) : nil }.sorted()
    }

    /// The position after the last byte on disk (generation 0 when there is no file yet),
    /// read under the writers' lock so that it falls between whole lines.
    package func end() -> LogPosition {
        let lock = FileHandle(forReadingAtPath: lockFile)
        if let lock { flock(lock.fileDescriptor, LOCK_SH) }
        defer {
            if let lock {
                flock(lock.fileDescriptor, LOCK_UN)
                try? lock.close()
            }
        }
        guard let newest = generations().last else { return LogPosition(generation: 0, offset: 0) }
        let size = (try? FileManager.default.attributesOfItem(atPath: file(newest))[.size] as? Int) ?? nil
        return LogPosition(generation: newest, offset: size ?? 0)
    }
}

extension DataLayout {
    /// `DATA_DIR/logs/apps`, one directory per app id.
    package var appLogs: String { logs + "/apps" }
    /// `DATA_DIR/run/logs.sock`: other processes' lines reach the daemon's log store here.
    package var logSocket: String { run + "/logs.sock" }
}
