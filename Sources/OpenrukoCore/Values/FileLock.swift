package import Foundation

/// An exclusive `flock(2)` on a lock file, held until `unlock()` or the end of the process
/// (the kernel releases it then, so it never outlives a killed holder). One process at a time
/// changes the host's network rules, starts an add-on server or builds a stack.
///
/// ```swift
/// let lock = try await FileLock.acquire(layout.lock("postgresql"))
/// defer { lock.unlock() }
/// ```
package struct FileLock: Sendable {
    private let descriptor: Int32

    /// Waits for the lock at `path` (its directory is made), without blocking a thread of
    /// Swift's cooperative pool while another process holds it.
    /// - Throws: `OpenrukoError.unavailable` when the file cannot be opened.
    package static func acquire(_ path: String) async throws(OpenrukoError) -> FileLock {
        let descriptor = try open(path)
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else { break }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return FileLock(descriptor: descriptor)
    }

    /// Takes the lock at `path` if nobody holds it; nil when another process does.
    /// - Throws: `OpenrukoError.unavailable` when the file cannot be opened.
    package static func attempt(_ path: String) throws(OpenrukoError) -> FileLock? {
        let descriptor = try open(path)
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            return nil
        }
        return FileLock(descriptor: descriptor)
    }

    /// Releases the lock.
    package func unlock() {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }

    private static func open(_ path: String) throws(OpenrukoError) -> Int32 {
        try? FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let descriptor = Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw OpenrukoError(.unavailable, "Cannot open the lock \(path): \(String(cString: strerror(errno)))")
        }
        return descriptor
    }
}
