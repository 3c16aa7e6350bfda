import Foundation
package import OpenrukoCore

/// The `authorized_keys` line `openruko authorized-keys` prints for a registered key
/// (OpenSSH mode): a forced command naming the key, `restrict` with `pty` back (`ssh -t …
/// run` gets a terminal, as over the embedded server), and, when the API's address is
/// known, a local forward allowed only to it (as the embedded server allows).
///
/// ```
/// command="/usr/local/bin/openruko ssh-command --data-dir /var/lib/openruko --key-id 3f…",restrict,pty ssh-ed25519 AAAA…
/// ```
package enum AuthorizedKeysLine {
    /// The line for `key`, or nil when a path cannot be written safely into it.
    /// - Parameters:
    ///   - executable: the absolute path of `openruko`.
    ///   - dataDir: the data directory `ssh-command` must open.
    ///   - api: the API listener, for `permitopen`.
    package static func render(key: SSHKey, executable: String, dataDir: String, api: ListenAddress?) -> String? {
        guard let parsed = try? PublicKey(parsing: key.publicKey) else { return nil }
        let words = [executable, "ssh-command", "--data-dir", dataDir, "--key-id", key.id.uuidString.lowercased()]
        guard words.allSatisfy({ !$0.contains("\"") && !$0.contains("\\") && !$0.contains(where: \.isNewline) }) else { return nil }
        var options = ["command=\"\(words.map(ShellWord.minimal).joined(separator: " "))\"", "restrict", "pty"]
        if let api {
            let policy = ForwardPolicy(api: api)
            let hosts = ["127.0.0.1", "localhost", "::1"].filter { policy.target(host: $0, port: api.port) != nil }
            if !hosts.isEmpty {
                options.append("port-forwarding")
                options += hosts.map { "permitopen=\"\($0.contains(":") ? "[\($0)]" : $0):\(api.port)\"" }
            }
        }
        return options.joined(separator: ",") + " \(parsed.type) \(parsed.base64)"
    }
}
