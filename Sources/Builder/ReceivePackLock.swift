import Foundation
package import OpenrukoCore

/// The app's build lock, shared with the push's git receive-pack so that it covers git's ref
/// update. `openruko hook receive-pack` opens the lock file (without locking it) and execs
/// git with the descriptor inherited, its number in `OPENRUKO_BUILD_LOCK_FD`; git's hooks
/// inherit it in turn. An `flock` belongs to the open file, not to a process: the
/// pre-receive hook locks that descriptor, and a push that deployed hands the lock over
/// (`BuildLock.handOver(until:)`), so it stays held by receive-pack after the hook ends.
/// The reference-transaction hook releases it once git has committed or aborted the update
/// of that ref; if receive-pack ends first (it could not lock the ref, or was killed), the
/// kernel releases it. No other push reads the branch or builds in between.
package enum ReceivePackLock {
    /// The environment variable naming the inherited descriptor.
    package static let environmentKey = "OPENRUKO_BUILD_LOCK_FD"

    /// Replaces this process with `arguments` (git receive-pack and its arguments, the
    /// program first), the app's build lock file open for it to inherit.
    /// - Returns: only on failure, with the message for the pusher.
    package static func exec(_ arguments: [String], app: String, layout: DataLayout) -> OpenrukoError {
        guard let program = arguments.first, program.hasPrefix("/") else {
            return OpenrukoError(.invalid, "openruko hook receive-pack needs the absolute path of git and its arguments.")
        }
        let path = layout.lock("build-\(app)")
        try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let descriptor = open(path, O_RDWR | O_CREAT, 0o600)  // no O_CLOEXEC: git inherits it
        guard descriptor >= 0 else {
            return OpenrukoError(.internal, "Cannot open the build lock \(path): \(String(cString: strerror(errno)))")
        }
        setenv(environmentKey, String(descriptor), 1)
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        execv(program, &argv)
        let reason = String(cString: strerror(errno))
        for pointer in argv { free(pointer) }
        close(descriptor)
        return OpenrukoError(.internal, "Cannot start \(program): \(reason)")
    }

    /// The lock descriptor this process inherited from receive-pack for `app`, or nil when
    /// there is none or it is not that app's lock file.
    package static func inherited(environment: [String: String], app: String, layout: DataLayout) -> Int32? {
        guard let text = environment[environmentKey], let descriptor = Int32(text), descriptor > 2 else { return nil }
        var opened = stat()
        var named = stat()
        guard fstat(descriptor, &opened) == 0, stat(layout.lock("build-\(app)"), &named) == 0,
            opened.st_dev == named.st_dev, opened.st_ino == named.st_ino
        else { return nil }
        return descriptor
    }

    /// Marks the inherited descriptor close-on-exec in this process, so that nothing it
    /// starts (a build step that leaves a process behind) can keep the lock alive.
    package static func keepFromChildren(environment: [String: String]) {
        guard let text = environment[environmentKey], let descriptor = Int32(text), descriptor > 2 else { return }
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
    }

    /// `openruko hook reference-transaction STATE`: releases the handed-over lock once git has
    /// committed or aborted the update of its ref. Never fails: in the `prepared` state a
    /// failure would make git abort the update.
    package static func transactionEnded(state: String, updates: [RefUpdate], environment: [String: String]) {
        if let descriptor = endingHold(state: state, updates: updates, environment: environment) { release(descriptor) }
    }

    /// The inherited lock descriptor whose hold this ref transaction ends (git committed or
    /// aborted the update of the ref the lock was handed over until), nil when it ends none.
    package static func endingHold(state: String, updates: [RefUpdate], environment: [String: String]) -> Int32? {
        guard let root = environment["OPENRUKO_DATA_DIR"], let app = environment["OPENRUKO_APP"],
            let descriptor = inherited(environment: environment, app: app, layout: DataLayout(root: root))
        else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = pread(descriptor, &buffer, buffer.count, 0)
        let text = String(decoding: buffer.prefix(max(count, 0)), as: UTF8.self)
        return releases(state: state, refs: updates.map(\.ref), handedOver: BuildLock.contents(text).until) ? descriptor : nil
    }

    /// Ends the hold on the inherited lock (`endingHold`).
    package static func release(_ descriptor: Int32) {
        flock(descriptor, LOCK_UN)
    }

    /// Whether a ref transaction in `state` over `refs` ends the hold of a lock handed over
    /// until `handedOver` was updated.
    package static func releases(state: String, refs: [String], handedOver: String?) -> Bool {
        guard state == "committed" || state == "aborted", let handedOver else { return false }
        return refs.contains(handedOver)
    }
}
