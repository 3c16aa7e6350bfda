import Foundation

/// What identifies one version of a file cheaply (one `stat`): its device, inode, size and
/// modification time. A file replaced by an atomic write gets a new inode, so two stamps
/// differ whenever it was rewritten; a missing file has the stamp `missing`.
///
/// ```swift
/// let before = FileStamp(of: "/var/lib/openruko/run/credentials.stamp")
/// // … later: if FileStamp(of: path) != before, something changed
/// ```
package struct FileStamp: Sendable, Hashable {
    let device: UInt64
    let inode: UInt64
    let size: Int64
    let seconds: Int
    let nanoseconds: Int

    /// The stamp of a file that does not exist.
    package static let missing = FileStamp(device: 0, inode: 0, size: -1, seconds: 0, nanoseconds: 0)

    init(device: UInt64, inode: UInt64, size: Int64, seconds: Int, nanoseconds: Int) {
        self.device = device
        self.inode = inode
        self.size = size
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    /// The stamp of `path` (not followed), `missing` when it does not exist.
    package init(of path: String) {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            self = .missing
            return
        }
        self.init(
            device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size), seconds: Int(info.st_mtim.tv_sec),
            nanoseconds: Int(info.st_mtim.tv_nsec))
    }
}
