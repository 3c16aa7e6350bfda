package import Foundation
package import OpenrukoCore

/// Who is running a build: the process that recorded it holds an `flock` on
/// `DATA_DIR/run/locks/owner-ID.lock` until the build is decided. The kernel drops the lock
/// when that process dies, so a `pending` build whose owner file is unlocked was abandoned (a
/// killed hook or daemon), while one whose owner lives (waiting for the app's build lock, or
/// building) is left alone.
package final class BuildOwner: Sendable {
    private let descriptor: Int32
    private let path: String

    private init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    deinit {
        unlink(path)
        close(descriptor)
    }

    /// Claims build `id` for this process until the returned owner is released (dropped).
    /// Nil when the lock file cannot be made: the build then counts as abandoned only at the
    /// daemon's next start, as before.
    package static func claim(_ id: UUID, layout: DataLayout) -> BuildOwner? {
        let path = file(id, layout: layout)
        try? FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return nil }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            return nil
        }
        return BuildOwner(descriptor: descriptor, path: path)
    }

    /// Whether build `id` has an owner file that no live process holds.
    package static func isAbandoned(_ id: UUID, layout: DataLayout) -> Bool {
        let descriptor = open(file(id, layout: layout), O_RDWR | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else { return false }
        flock(descriptor, LOCK_UN)
        return true
    }

    /// The builds that have owner files (claimed now, or by a process that died).
    package static func claimed(layout: DataLayout) -> [UUID] {
        let directory = (file(UUID(), layout: layout) as NSString).deletingLastPathComponent
        return ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).compactMap { name in
            guard name.hasPrefix(prefix), name.hasSuffix(".lock") else { return nil }
            return UUID(uuidString: String(name.dropFirst(prefix.count).dropLast(".lock".count)))
        }
    }

    /// Removes build `id`'s owner file (once the build is decided).
    package static func forget(_ id: UUID, layout: DataLayout) {
        unlink(file(id, layout: layout))
    }

    private static let prefix = "owner-"

    private static func file(_ id: UUID, layout: DataLayout) -> String {
        layout.lock(prefix + id.uuidString.lowercased())
    }
}
