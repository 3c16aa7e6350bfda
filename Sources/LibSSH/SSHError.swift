internal import CLibSSH
import Glibc

/// A failure reported by libssh or by a system call made on its behalf.
package struct SSHError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The libssh or libc function that failed.
    package var function: String
    /// libssh's error text (`ssh_get_error`) or `strerror(errno)`.
    package var message: String
    /// The `errno` value, for system-call failures.
    package var errno: Int32?

    package init(function: String, message: String, errno: Int32? = nil) {
        self.function = function
        self.message = message
        self.errno = errno
    }

    package var description: String { "\(function): \(message)" }

    /// Whether the process or the system ran out of descriptors or socket memory (`EMFILE`,
    /// `ENFILE`, `ENOBUFS`, `ENOMEM`): a condition to wait out, not a broken listener.
    package var isOutOfDescriptors: Bool {
        guard let errno else { return false }
        return errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM
    }

    /// The error libssh recorded on `handle` (a session or bind), read at once.
    static func last(_ handle: OpaquePointer?, _ function: String) -> SSHError {
        guard let handle, let text = ssh_get_error(UnsafeMutableRawPointer(handle)) else {
            return SSHError(function: function, message: "unknown libssh error")
        }
        return SSHError(function: function, message: String(cString: text))
    }

    /// The current `errno` as an error.
    static func system(_ function: String, errno code: Int32 = Glibc.errno) -> SSHError {
        SSHError(function: function, message: String(cString: strerror(code)), errno: code)
    }
}
