import Foundation

/// Walks a directory tree without ever following symlinks (a build's tree is written by
/// sandboxed code, so a symlink may point anywhere on the host), and reads files the same way.
enum FileTree {
    /// What an entry is, from `lstat`.
    enum Kind: Sendable, Equatable {
        case file(size: Int64, mode: UInt32, mtime: Int)
        case directory(mode: UInt32, mtime: Int)
        case symlink(target: String, mtime: Int)
        case other

        /// Whether it is a directory (not a link to one).
        var isDirectory: Bool {
            if case .directory = self { return true }
            return false
        }
    }

    /// `lstat` of `path`.
    static func kind(_ path: String) -> Kind? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        let mode = UInt32(info.st_mode)
        let mtime = Int(info.st_mtim.tv_sec)
        switch mode & UInt32(S_IFMT) {
        case UInt32(S_IFREG): return .file(size: Int64(info.st_size), mode: mode & 0o7777, mtime: mtime)
        case UInt32(S_IFDIR): return .directory(mode: mode & 0o7777, mtime: mtime)
        case UInt32(S_IFLNK):
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) else { return .other }
            return .symlink(target: target, mtime: mtime)
        default: return .other
        }
    }

    /// Every entry under `root` (depth first, names sorted, directories before their
    /// contents) as a path relative to `root`; symlinked directories are not entered.
    static func walk(_ root: String, _ visit: (String, Kind) throws -> Void) rethrows {
        var stack: [String] = [""]
        while let directory = stack.popLast() {
            let absolute = directory.isEmpty ? root : root + "/" + directory
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: absolute)) ?? []).sorted()
            var subdirectories: [String] = []
            for name in names {
                let relative = directory.isEmpty ? name : directory + "/" + name
                guard let kind = kind(root + "/" + relative) else { continue }
                try visit(relative, kind)
                if case .directory = kind { subdirectories.append(relative) }
            }
            stack.append(contentsOf: subdirectories.reversed())
        }
    }

    /// Reads a regular file without following a symlink in its last component.
    /// - Returns: nil when it is missing, not a regular file, or larger than `limit`.
    static func read(_ path: String, limit: Int = 1 << 20) -> Data? {
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { return nil }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        var info = stat()
        guard fstat(descriptor, &info) == 0, UInt32(info.st_mode) & UInt32(S_IFMT) == UInt32(S_IFREG),
            Int(info.st_size) <= limit
        else { return nil }
        return try? handle.readToEnd() ?? Data()
    }

    /// Reads a regular file as UTF-8 text (see `read`).
    static func text(_ path: String, limit: Int = 1 << 20) -> String? {
        read(path, limit: limit).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Whether `path` is a regular file (not a symlink to one).
    /// The uid owning `path` (not following a symlink), or nil when it does not exist.
    static func owner(_ path: String) -> UInt32? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return info.st_uid
    }

    static func isFile(_ path: String) -> Bool {
        if case .file = kind(path) { return true }
        return false
    }

    /// Removes a tree that sandboxed code may have made unwritable (`chmod -w` directories).
    static func remove(_ root: String) {
        do { try FileManager.default.removeItem(atPath: root); return } catch {}
        walk(root) { relative, kind in
            if case .directory(let mode, _) = kind { chmod(root + "/" + relative, mode_t(mode | 0o700)) }
        }
        try? FileManager.default.removeItem(atPath: root)
    }
}
