import Foundation
package import OpenrukoCore
import Synchronization

/// One build per app at a time: an `flock` on `DATA_DIR/run/locks/build-APP.lock`. The
/// kernel releases it when the holder's file is closed, so it dies with its process. The
/// holder writes who it is into the file so that a waiting push can say why it waits.
///
/// A push locks the file as opened by its git receive-pack (`ReceivePackLock`); a
/// successful push then hands the lock over to receive-pack (`handOver(until:)`) so that it
/// stays held until git has moved the branch.
package final class BuildLock: Sendable {
    private let descriptor: Int32
    private let holder: String
    /// Whether `descriptor` is shared with receive-pack (inherited), not opened here.
    private let shared: Bool
    private let handedOver = Atomic<Bool>(false)

    private init(descriptor: Int32, holder: String, shared: Bool) {
        self.descriptor = descriptor
        self.holder = holder
        self.shared = shared
    }

    deinit {
        if !handedOver.load(ordering: .acquiring) { flock(descriptor, LOCK_UN) }
        close(descriptor)
    }

    /// Takes the app's build lock, waiting (and saying so once through `waiting`) while
    /// another build holds it. Cancellation stops the wait.
    /// - Parameters:
    ///   - holder: a line describing this build, shown to builds that wait for it.
    ///   - inherited: the lock file as opened by this push's receive-pack
    ///     (`ReceivePackLock.inherited`); nil to open it here.
    ///   - waiting: called once with the current holder's line when the lock is busy.
    /// - Throws: `OpenrukoError` when the lock file cannot be opened, or on cancellation.
    package static func acquire(
        app: String, layout: DataLayout, holder: String, inherited: Int32? = nil, waiting: (String) -> Void
    ) async throws(OpenrukoError) -> BuildLock {
        let path = layout.lock("build-\(app)")
        let descriptor: Int32
        if let inherited {
            _ = fcntl(inherited, F_SETFD, FD_CLOEXEC)  // no build step may keep it alive
            descriptor = inherited
        } else {
            try? FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        }
        guard descriptor >= 0 else {
            throw OpenrukoError(.internal, "Cannot open the build lock \(path): \(String(cString: strerror(errno)))")
        }
        var announced = false
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            if !announced {
                announced = true
                let current = (try? String(contentsOfFile: path, encoding: .utf8)).map { contents($0).holder }
                waiting(current.flatMap { $0.isEmpty ? nil : $0 } ?? "another build of \(app)")
            }
            do {
                try await Task.sleep(for: .milliseconds(200))
            } catch {
                close(descriptor)
                throw OpenrukoError(.unavailable, "Stopped waiting for the build lock of \(app).")
            }
        }
        let lock = BuildLock(descriptor: descriptor, holder: holder, shared: inherited != nil)
        lock.write(holder + "\n")
        return lock
    }

    /// Takes the app's build lock only if nobody holds it (the garbage collector's way: it
    /// never makes a push wait for long, and skips an app that is building).
    /// - Returns: the held lock, nil when it is busy or cannot be opened.
    package static func attempt(app: String, layout: DataLayout, holder: String) -> BuildLock? {
        let path = layout.lock("build-\(app)")
        try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return nil }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            return nil
        }
        let lock = BuildLock(descriptor: descriptor, holder: holder, shared: false)
        lock.write(holder + "\n")
        return lock
    }

    /// Whether some process holds `app`'s build lock now (a build or release under way).
    package static func isHeld(app: String, layout: DataLayout) -> Bool {
        let descriptor = open(layout.lock("build-\(app)"), O_RDWR | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else { return true }
        flock(descriptor, LOCK_UN)
        return false
    }

    /// Leaves the lock held after this process ends, by the receive-pack it was inherited
    /// from, until git has committed or aborted its update of `ref` (the
    /// reference-transaction hook then releases it, see `ReceivePackLock`) or receive-pack
    /// ends. Without an inherited lock this does nothing: the lock ends with this process.
    package func handOver(until ref: String) {
        guard shared else { return }
        write(holder + "\n" + Self.untilPrefix + ref + "\n")
        handedOver.store(true, ordering: .releasing)
    }

    private func write(_ text: String) {
        ftruncate(descriptor, 0)
        let bytes = Array(text.utf8)
        _ = pwrite(descriptor, bytes, bytes.count, 0)
    }

    private static let untilPrefix = "until "

    /// The lock file's contents: the holder's line, and the ref a handed-over lock waits for.
    package static func contents(_ text: String) -> (holder: String, until: String?) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let holder = lines.first.map { String($0).trimmingCharacters(in: .whitespaces) } ?? ""
        let until = lines.dropFirst().first { $0.hasPrefix(untilPrefix) }.map { String($0.dropFirst(untilPrefix.count)) }
        return (holder, until)
    }
}
