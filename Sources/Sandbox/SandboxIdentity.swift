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

    /// Makes `path` belong to this identity (not following a symlink), so the sandbox can
    /// write it. Does nothing when openruko is not root.
    package func own(_ path: String) {
        guard switchesUser else { return }
        lchown(path, uid, gid)
    }
}
