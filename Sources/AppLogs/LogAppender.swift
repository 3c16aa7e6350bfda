import Foundation

/// Appends whole lines to one app's log directory under its `flock`, rotating generations to
/// keep the app within its limit. One appender is used by one thread at a time (the daemon's
/// writer thread, or a process writing directly when no daemon runs).
final class LogAppender {
    let directory: LogDirectory
    private var lock: FileHandle?
    private var current: (generation: Int, handle: FileHandle)?

    /// What one append did.
    struct Result {
        /// Where the appended bytes start (after any bytes another process appended meanwhile).
        var start: LogPosition
        /// The position after them.
        var end: LogPosition
        /// Set when the append started a new generation: the new, empty one.
        var rotatedTo: Int?
        /// Set when the data went to a new generation: the end of the one before.
        var previous: LogPosition?
    }

    init(directory: LogDirectory) {
        self.directory = directory
    }

    deinit {
        try? current?.handle.close()
        try? lock?.close()
    }

    /// Appends `data` (whole lines), then starts a new generation when the file has reached
    /// half of `limit` bytes.
    /// - Throws: a file-system error (the caller counts the lines as dropped).
    func append(_ data: Data, limit: Int) throws -> Result {
        let lock = try lockHandle()
        flock(lock.fileDescriptor, LOCK_EX)
        defer { flock(lock.fileDescriptor, LOCK_UN) }
        var (generation, handle) = try newest()
        var size = Int(lseek(handle.fileDescriptor, 0, SEEK_END))
        var previous: LogPosition?
        if size > 0 && size + data.count > max(limit / 2, 1) {
            // The data would take this generation past half the limit: start the next one first.
            previous = LogPosition(generation: generation, offset: size)
            try rotate(from: generation, handle: handle)
            (generation, handle) = try newest()
            size = 0
        }
        try handle.write(contentsOf: data)
        let start = LogPosition(generation: generation, offset: size)
        var result = Result(start: start, end: LogPosition(generation: generation, offset: size + data.count))
        result.previous = previous
        if size + data.count >= max(limit / 2, 1) {
            try rotate(from: generation, handle: handle)
            result.rotatedTo = generation + 1
        }
        return result
    }

    /// Starts the generation after `generation` and deletes those before it.
    private func rotate(from generation: Int, handle: FileHandle) throws {
        _ = FileManager.default.createFile(atPath: directory.file(generation + 1), contents: nil, attributes: [.posixPermissions: 0o640])
        for old in directory.generations() where old < generation {
            try? FileManager.default.removeItem(atPath: directory.file(old))
        }
        try? handle.close()
        current = nil
    }

    private func lockHandle() throws -> FileHandle {
        if let lock { return lock }
        try FileManager.default.createDirectory(atPath: directory.path, withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: directory.lockFile) {
            _ = FileManager.default.createFile(atPath: directory.lockFile, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        guard let handle = FileHandle(forUpdatingAtPath: directory.lockFile) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: directory.lockFile])
        }
        lock = handle
        return handle
    }

    /// The newest generation, opened for appending (another writer may have rotated since).
    private func newest() throws -> (Int, FileHandle) {
        if let current, !FileManager.default.fileExists(atPath: directory.file(current.generation + 1)) {
            return current
        }
        try? current?.handle.close()
        let generation = directory.generations().last ?? 1
        let path = directory.file(generation)
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o640])
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: path])
        }
        current = (generation, handle)
        return (generation, handle)
    }
}
