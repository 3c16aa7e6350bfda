package import Foundation

/// The bytes `DATA_DIR` uses, measured by a walk (`DiskUsage.bytes`, as `du -sb`) and kept in
/// `DATA_DIR/run/disk-usage.json` so that a push need not walk the whole data directory: the
/// collector refreshes it, and a push estimates the figure now as the measured bytes plus
/// whatever the filesystem's used bytes grew by since (`statvfs`, constant time). A filesystem
/// that shrank since is walked again (its growth no longer bounds what `DATA_DIR` gained), and
/// a refusal is checked against a fresh walk (`Platform.diskRefusal`).
///
/// ```swift
/// let figure = DataDirUsage.read(layout) ?? DataDirUsage.measure(layout)
/// let used = figure.estimate(filesystemUsedNow: DataDirUsage.filesystem(layout).used)
/// ```
package struct DataDirUsage: Sendable, Hashable, Codable {
    /// `DATA_DIR`'s apparent bytes when measured.
    package var bytes: Int64
    /// The filesystem's used bytes (blocks × fragment size) when measured.
    package var filesystemUsed: Int64
    package var measuredAt: Date

    package init(bytes: Int64, filesystemUsed: Int64, measuredAt: Date) {
        self.bytes = bytes
        self.filesystemUsed = filesystemUsed
        self.measuredAt = measuredAt
    }

    /// The file the figure is kept in.
    package static func file(_ layout: DataLayout) -> String { layout.run + "/disk-usage.json" }

    /// Walks `DATA_DIR` (seconds on a large one) and writes the figure.
    /// - Parameter filesystemUsed: the filesystem's used bytes read just before (else read here).
    @discardableResult
    package static func measure(_ layout: DataLayout, now: Date = Date(), filesystemUsed: Int64? = nil) -> DataDirUsage {
        let before = filesystemUsed ?? filesystem(layout).used
        let bytes = DiskUsage.bytes(layout.root)
        // Growth during the walk counts from the start: the figure never under-counts it.
        let figure = DataDirUsage(bytes: bytes, filesystemUsed: before, measuredAt: now)
        figure.write(layout)
        return figure
    }

    /// The kept figure, nil when there is none (or it cannot be read).
    package static func read(_ layout: DataLayout) -> DataDirUsage? {
        let path = file(layout)
        guard let size = DiskUsage.regularFileSize(path), size < 4096, let data = FileManager.default.contents(atPath: path) else {
            return nil
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return try? decoder.decode(DataDirUsage.self, from: data)
    }

    /// Writes the figure (atomically, private to openruko).
    package func write(_ layout: DataLayout) {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        guard let data = try? encoder.encode(self) else { return }
        try? FileManager.default.createDirectory(atPath: layout.run, withIntermediateDirectories: true)
        let path = Self.file(layout)
        let partial = path + ".\(getpid()).partial"
        guard FileManager.default.createFile(atPath: partial, contents: data, attributes: [.posixPermissions: 0o600]) else { return }
        if rename(partial, path) != 0 { unlink(partial) }
    }

    /// The bytes used now by this estimate: the measured bytes plus the filesystem's growth
    /// since (what shrank is not subtracted until the next walk).
    package func estimate(filesystemUsedNow: Int64) -> Int64 {
        bytes + max(0, filesystemUsedNow - filesystemUsed)
    }

    /// Free bytes (for an unprivileged writer), total and used bytes of `DATA_DIR`'s filesystem.
    package static func filesystem(_ layout: DataLayout) -> (free: Int64, capacity: Int64, used: Int64) {
        var info = statvfs()
        guard statvfs(layout.root, &info) == 0 else { return (0, 0, 0) }
        let fragment = Int64(info.f_frsize)
        return (Int64(info.f_bavail) * fragment, Int64(info.f_blocks) * fragment, Int64(info.f_blocks - info.f_bfree) * fragment)
    }
}
