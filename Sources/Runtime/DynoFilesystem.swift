package import Foundation
package import OpenrukoCore
package import Isolation
import Subprocess
import SystemPackage

/// Each dyno's private, writable `/app`, thrown away when the dyno stops:
/// `DATA_DIR/run/runtime/dynos/INSTANCE/app`. When openruko runs as root it is an overlay
/// mount over the release's extracted slug (`SlugTrees`), so starting a dyno copies nothing,
/// whose writable layer is a tmpfs of the dyno's memory size (so a dyno cannot fill the host's
/// disk); otherwise it is a copy of the tree. The directory also records its owner process and slug,
/// so a later daemon can clean up after one that died.
package struct DynoFilesystem: Sendable {
    /// `DATA_DIR/run/runtime`.
    package let root: String

    package init(layout: DataLayout) {
        root = layout.run + "/runtime"
    }

    var dynosDirectory: String { root + "/dynos" }

    func directory(_ instance: UUID) -> String { dynosDirectory + "/" + instance.uuidString.lowercased() }

    /// Creates the instance's `/app` from `tree` and returns its host path.
    /// - Throws: `OpenrukoError` when it cannot be created.
    /// - Parameter identity: the app's identity, which owns the dyno's directories.
    /// - Parameter writableBytes: as root, what the dyno may write into `/app` at most: its
    ///   writes go to a tmpfs of this size (memory, charged to the dyno's cgroup like `/tmp`),
    ///   never to the host's disk. Nil: no such cap.
    package func prepare(
        instance: UUID, slugID: UUID, tree: String, identity: SandboxIdentity, writableBytes: UInt64? = nil
    ) async throws(OpenrukoError) -> String {
        let base = directory(instance)
        let app = base + "/app"
        let writable = base + "/rw"
        do {
            try Self.makePrivateDirectory(root)
            try Self.makePrivateDirectory(dynosDirectory)
            try Self.makePrivateDirectory(base)
            try "\(getpid())".write(toFile: base + "/owner", atomically: false, encoding: .utf8)
            try slugID.uuidString.lowercased().write(toFile: base + "/slug", atomically: false, encoding: .utf8)
            try Self.makePrivateDirectory(writable)
            if geteuid() == 0, let writableBytes {
                guard mount("tmpfs", writable, "tmpfs", UInt(MS_NODEV | MS_NOSUID), "size=\(writableBytes),mode=0711") == 0 else {
                    throw OpenrukoError(.internal, "Cannot mount the dyno's writable /app layer: \(String(cString: strerror(errno)))")
                }
            }
            for path in [writable + "/upper", writable + "/work", app] {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
                chmod(path, 0o755)
                identity.own(path)
            }
        } catch let error as OpenrukoError {
            throw error
        } catch {
            throw OpenrukoError(.internal, "Cannot prepare the dyno's /app: \(error.localizedDescription)")
        }
        if geteuid() == 0, Self.overlay(lower: tree, upper: writable + "/upper", work: writable + "/work", target: app) {
            return app
        }
        let copy: ExecutionResult<Void, DiscardedOutput, StringOutput<UTF8>>
        do {
            copy = try await Subprocess.run(
                .path("/bin/cp"), arguments: ["-a", "--reflink=auto", tree + "/.", app + "/"], output: .discarded,
                error: .string(limit: 4096))
        } catch {
            throw OpenrukoError(.internal, "Cannot copy the slug into the dyno's /app: \(error)")
        }
        guard copy.terminationStatus.isSuccess else {
            throw OpenrukoError(.internal, "Cannot copy the slug into the dyno's /app: \(copy.standardError)")
        }
        return app
    }

    /// Unmounts and deletes the instance's directory.
    package func remove(instance: UUID) {
        Self.removeDirectory(directory(instance))
    }

    /// Removes the directories of dynos whose owner process is gone (a daemon or hook that died),
    /// after killing what still runs of them.
    package func removeStale() {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dynosDirectory)) ?? [] {
            let base = dynosDirectory + "/" + name
            let owner = (try? String(contentsOfFile: base + "/owner", encoding: .utf8)).flatMap { pid_t($0) }
            if let owner, owner != getpid(), kill(owner, 0) == 0 { continue }
            if owner == getpid() { continue }
            if owner == nil, let made = (try? FileManager.default.attributesOfItem(atPath: base))?[.modificationDate] as? Date,
                Date().timeIntervalSince(made) < 60
            {
                continue  // being made right now: its owner is about to write itself in
            }
            // Its processes may outlive their daemon (see `ProcessCgroup.killAll`).
            ProcessCgroup.killAll(name: "openruko-dyno-" + name)
            Self.removeDirectory(base)
        }
    }

    /// The slug ids (lowercased) that dyno directories on disk use, this process's or others'.
    package func slugsInUse() -> Set<String> {
        var used: Set<String> = []
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dynosDirectory)) ?? [] {
            if let slug = try? String(contentsOfFile: dynosDirectory + "/" + name + "/slug", encoding: .utf8) { used.insert(slug) }
        }
        return used
    }

    static func removeDirectory(_ base: String) {
        for mounted in [base + "/app", base + "/rw"] where isMountPoint(mounted) { umount2(mounted, Int32(MNT_DETACH)) }
        try? FileManager.default.removeItem(atPath: base)
    }

    /// Mounts an overlay of `lower` (read-only) and `upper` (writes) on `target`.
    static func overlay(lower: String, upper: String, work: String, target: String) -> Bool {
        let unsafeCharacters: Set<Character> = [",", ":", "\\"]
        guard !(lower + upper + work).contains(where: { unsafeCharacters.contains($0) }) else { return false }
        let options = "lowerdir=\(lower),upperdir=\(upper),workdir=\(work)"
        return mount("overlay", target, "overlay", UInt(MS_NODEV | MS_NOSUID), options) == 0
    }

    /// Whether `path` is a mount point (its device differs from its parent's).
    static func isMountPoint(_ path: String) -> Bool {
        var own = stat()
        var parent = stat()
        guard lstat(path, &own) == 0, lstat(path + "/..", &parent) == 0 else { return false }
        return own.st_dev != parent.st_dev
    }

    /// Creates `path` (root's, `rwx--x--x`: the sandbox user may pass through, not list).
    static func makePrivateDirectory(_ path: String) throws {
        if !FileManager.default.fileExists(atPath: path) {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        chmod(path, 0o711)
    }
}
