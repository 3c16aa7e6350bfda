package import Foundation

/// Bytes on disk as `du -sb` counts them (every entry's apparent `lstat` size, directories
/// included, a hard-linked file once), and removal that counts what it frees. Neither ever
/// follows a symbolic link (a tenant's link to `/etc` is 1 entry of a few bytes) nor crosses
/// into another mount (a dyno's overlay `/app`): directories are opened with `O_NOFOLLOW`
/// relative to their parent (`openat`), so a path swapped for a link mid-walk is not entered.
///
/// ```swift
/// let bytes = DiskUsage.bytes("/var/lib/openruko/cache/web1")
/// let freed = DiskUsage.remove("/var/lib/openruko/slugs/web1/ID.tgz")
/// ```
package enum DiskUsage {
    /// A file's identity, to count a hard-linked file once.
    private struct FileKey: Hashable {
        let device: UInt64
        let inode: UInt64
    }

    /// The apparent bytes of `path` and everything under it (0 when it does not exist).
    package static func bytes(_ path: String) -> Int64 {
        var info = stat()
        guard lstat(path, &info) == 0 else { return 0 }
        var seen: Set<FileKey> = []
        var total = Int64(info.st_size)
        if isDirectory(info) {
            let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if descriptor >= 0 { total += walk(descriptor, device: UInt64(info.st_dev), seen: &seen, remove: false) }
        }
        return total
    }

    /// The apparent bytes of the entry `path` itself (a directory's, not its contents').
    package static func ownBytes(_ path: String) -> Int64 {
        var info = stat()
        return lstat(path, &info) == 0 ? Int64(info.st_size) : 0
    }

    /// The size of `path` when it is a regular file itself (not followed), else nil.
    package static func regularFileSize(_ path: String) -> Int64? {
        var info = stat()
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int64(info.st_size)
    }

    /// The modification time of `path` itself (not followed), or nil when it does not exist.
    package static func modified(_ path: String) -> Date? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return Date(timeIntervalSince1970: Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9)
    }

    /// Removes `path` and everything under it that is on the same filesystem, never through a
    /// symbolic link.
    /// - Returns: the apparent bytes removed (a directory holding a mount point stays).
    @discardableResult
    package static func remove(_ path: String) -> Int64 {
        var info = stat()
        guard lstat(path, &info) == 0 else { return 0 }
        guard isDirectory(info) else { return unlink(path) == 0 ? Int64(info.st_size) : 0 }
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else { return 0 }
        var seen: Set<FileKey> = []
        let freed = walk(descriptor, device: UInt64(info.st_dev), seen: &seen, remove: true)
        return rmdir(path) == 0 ? freed + Int64(info.st_size) : freed
    }

    /// The names in a directory (not `.`/`..`), empty when it cannot be read.
    package static func names(_ path: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
    }

    private static func isDirectory(_ info: stat) -> Bool { (info.st_mode & S_IFMT) == S_IFDIR }

    /// Sums (and with `remove`, removes) the entries of the open directory `descriptor`,
    /// which it closes.
    private static func walk(_ descriptor: Int32, device: UInt64, seen: inout Set<FileKey>, remove: Bool) -> Int64 {
        defer { close(descriptor) }
        // The names of the directory the descriptor holds (not of whatever its path names now).
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd/\(descriptor)")) ?? []
        var total: Int64 = 0
        for name in names {
            var info = stat()
            guard fstatat(descriptor, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
            if isDirectory(info) {
                guard UInt64(info.st_dev) == device else { continue }  // a mount point: not ours to count or remove
                let child = openat(descriptor, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                if child >= 0 { total += walk(child, device: device, seen: &seen, remove: remove) }
                if !remove || unlinkat(descriptor, name, AT_REMOVEDIR) == 0 { total += Int64(info.st_size) }
                continue
            }
            // Counted once: a link seen before is not (while removing, the last link left reads nlink 1).
            let key = FileKey(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
            let counted = !seen.contains(key)
            if info.st_nlink > 1 { seen.insert(key) }
            if remove {
                guard unlinkat(descriptor, name, 0) == 0 else { continue }
            }
            if counted { total += Int64(info.st_size) }
        }
        return total
    }
}
