import Foundation
import OpenrukoCore

/// An `flock` that refuses when it is busy and dies with its process (one stack build of a
/// name at a time).
struct FileLock: Sendable {
    let descriptor: Int32

    /// Takes the lock at `path`.
    /// - Throws: `conflict` naming `what` when another process holds it.
    static func acquire(_ path: String, what: String) throws(OpenrukoError) -> FileLock {
        try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw OpenrukoError(.internal, "Cannot open the lock \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw OpenrukoError(.conflict, "\(what) is being built right now; try again when that build has finished.")
        }
        return FileLock(descriptor: descriptor)
    }

    /// Releases the lock.
    func release() {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
