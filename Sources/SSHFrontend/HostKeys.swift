import Foundation
import LibSSH

/// The server's host keys under `DATA_DIR/ssh/`: `ssh_host_{ed25519,ecdsa,rsa}_key` (mode
/// 0600, OpenSSH format) with their `.pub`, generated on first start and reused after.
package enum HostKeys {
    /// A loaded key: its private text (for the bind) and its fingerprint (for the log).
    package struct Key: Sendable {
        package var kind: String
        package var privateKey: String
        package var fingerprint: String
    }

    /// Loads every host key in `directory`, generating the missing ones.
    /// - Throws: `SSHError` or a file error when a key cannot be read or written.
    package static func loadOrCreate(in directory: String) throws -> [Key] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        chmod(directory, 0o700)
        return try SSHKeyPair.Kind.allCases.map { kind in
            let path = "\(directory)/ssh_host_\(kind.rawValue)_key"
            if let text = try? String(contentsOfFile: path, encoding: .utf8) {
                let key = try SSHKeyPair(privateKeyText: text)
                return Key(kind: kind.rawValue, privateKey: text, fingerprint: key.fingerprint)
            }
            let key = try SSHKeyPair.generate(kind)
            let text = try key.privateKeyText()
            try write(text, to: path, mode: 0o600)
            try write(try key.publicKeyLine() + " openruko-host\n", to: path + ".pub", mode: 0o644)
            return Key(kind: kind.rawValue, privateKey: text, fingerprint: key.fingerprint)
        }
    }

    /// Writes a file atomically, never readable by others even for a moment: created
    /// with `mode` under a temporary name, then renamed.
    private static func write(_ text: String, to path: String, mode: mode_t) throws {
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: temporary]) }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        try handle.write(contentsOf: Data(text.utf8))
        try handle.synchronize()
        try handle.close()
        chmod(temporary, mode)
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
    }
}
