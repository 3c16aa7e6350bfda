import Foundation
package import OpenrukoCore

/// One build per app at a time: an `flock` on `DATA_DIR/run/locks/build-APP.lock`. The
/// kernel releases it when the holder's file is closed, so it dies with its process. The
/// holder writes who it is into the file so that a waiting push can say why it waits.
package final class BuildLock: Sendable {
    private let descriptor: Int32

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }

    /// Takes the app's build lock, waiting (and saying so once through `waiting`) while
    /// another build holds it. Cancellation stops the wait.
    /// - Parameters:
    ///   - holder: a line describing this build, shown to builds that wait for it.
    ///   - waiting: called once with the current holder's line when the lock is busy.
    /// - Throws: `OpenrukoError` when the lock file cannot be opened, or on cancellation.
    package static func acquire(
        app: String, layout: DataLayout, holder: String, waiting: (String) -> Void
    ) async throws(OpenrukoError) -> BuildLock {
        let path = layout.lock("build-\(app)")
        try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw OpenrukoError(.internal, "Cannot open the build lock \(path): \(String(cString: strerror(errno)))")
        }
        var announced = false
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            if !announced {
                announced = true
                let current = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
                waiting(current.flatMap { $0.isEmpty ? nil : $0 } ?? "another build of \(app)")
            }
            do {
                try await Task.sleep(for: .milliseconds(200))
            } catch {
                close(descriptor)
                throw OpenrukoError(.unavailable, "Stopped waiting for the build lock of \(app).")
            }
        }
        ftruncate(descriptor, 0)
        let line = Array((holder + "\n").utf8)
        _ = pwrite(descriptor, line, line.count, 0)
        return BuildLock(descriptor: descriptor)
    }
}
