import Foundation
package import OpenrukoCore

/// The unprivileged user sandboxed commands run as. When openruko runs as root it drops to a
/// dedicated uid/gid (`OPENRUKO_SANDBOX_UID`/`OPENRUKO_SANDBOX_GID`, default 61000, no
/// supplementary groups) before starting bubblewrap, which then uses an unprivileged user
/// namespace; otherwise the sandbox runs as the invoking user, also in a user namespace.
package struct SandboxIdentity: Sendable, Hashable {
    /// The uid outside the sandbox (and inside it).
    package var uid: UInt32
    package var gid: UInt32
    /// Whether openruko must switch to this identity when spawning (it is root).
    package var switchesUser: Bool

    package init(uid: UInt32, gid: UInt32, switchesUser: Bool) {
        self.uid = uid
        self.gid = gid
        self.switchesUser = switchesUser
    }

    /// The default uid and gid used when openruko runs as root.
    package static let defaultID: UInt32 = 61000

    /// The identity for this process.
    /// - Throws: `OpenrukoError.invalid` for a malformed or root id in the environment.
    package static func current(environment: [String: String] = ProcessInfo.processInfo.environment) throws(OpenrukoError)
        -> SandboxIdentity
    {
        guard geteuid() == 0 else { return SandboxIdentity(uid: geteuid(), gid: getegid(), switchesUser: false) }
        func id(_ name: String) throws(OpenrukoError) -> UInt32 {
            guard let text = environment[name] else { return defaultID }
            guard let value = UInt32(text), value != 0, value < 4_294_967_295 else {
                throw OpenrukoError(.invalid, "\(name) must be a non-zero numeric id, not \(text.debugDescription).")
            }
            return value
        }
        return SandboxIdentity(uid: try id("OPENRUKO_SANDBOX_UID"), gid: try id("OPENRUKO_SANDBOX_GID"), switchesUser: true)
    }

    /// The identity an app's builds and dynos run as: its own uid (also its gid) when openruko
    /// is root and the app has one, else this one.
    package func forApp(uid: UInt32?) -> SandboxIdentity {
        guard switchesUser, let uid, uid >= 1000 else { return self }
        return SandboxIdentity(uid: uid, gid: uid, switchesUser: true)
    }

    /// Makes `path` belong to this identity (not following a symlink), so the sandbox can
    /// write it. Does nothing when openruko is not root.
    package func own(_ path: String) {
        guard switchesUser else { return }
        lchown(path, uid, gid)
    }

    /// The first directory on the way to `path` (inclusive) this identity cannot enter, with
    /// its mode, or nil when every one is searchable. bubblewrap runs as this identity, so the
    /// files it binds into a sandbox must be reachable by it (`/root` is 0700 on Debian).
    package func unreachableDirectory(on path: String) -> (path: String, mode: UInt32)? {
        guard switchesUser else { return nil }
        var prefix = ""
        for component in path.split(separator: "/") {
            prefix += "/" + component
            var info = stat()
            guard stat(prefix, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else { continue }
            let bit: mode_t = info.st_uid == uid ? S_IXUSR : info.st_gid == gid ? S_IXGRP : S_IXOTH
            if info.st_mode & bit == 0 { return (prefix, UInt32(info.st_mode & 0o7777)) }
        }
        return nil
    }
}
