internal import CLibSSH

/// A private key (a host key), owning one libssh `ssh_key`.
///
/// ```swift
/// let key = try SSHKeyPair.generate(.ed25519)
/// try key.privateKeyText()   // OpenSSH format, for DATA_DIR/ssh/ssh_host_ed25519_key
/// ```
package final class SSHKeyPair {
    /// The host key algorithms openruko offers.
    package enum Kind: String, Sendable, CaseIterable {
        case ed25519
        case ecdsa
        case rsa

        var libsshType: ssh_keytypes_e {
            switch self {
            case .ed25519: SSH_KEYTYPE_ED25519
            case .ecdsa: SSH_KEYTYPE_ECDSA_P256
            case .rsa: SSH_KEYTYPE_RSA
            }
        }

        var bits: Int32 {
            switch self {
            case .ed25519: 0
            case .ecdsa: 256
            case .rsa: 3072
            }
        }
    }

    private let handle: ssh_key

    private init(takingOwnership handle: ssh_key) {
        self.handle = handle
    }

    deinit {
        ssh_key_free(handle)
    }

    /// A new random key.
    /// - Throws: `SSHError` when libssh cannot generate it.
    package static func generate(_ kind: Kind) throws(SSHError) -> SSHKeyPair {
        _ = SSHLibrary.initialized
        var key: ssh_key?
        guard ssh_pki_generate(kind.libsshType, kind.bits, &key) == SSH_OK, let key else {
            throw SSHError(function: "ssh_pki_generate", message: "cannot generate a \(kind.rawValue) key")
        }
        return SSHKeyPair(takingOwnership: key)
    }

    /// Reads a private key in OpenSSH or PEM format.
    /// - Throws: `SSHError` when the text is not an unencrypted private key.
    package convenience init(privateKeyText text: String) throws(SSHError) {
        _ = SSHLibrary.initialized
        var key: ssh_key?
        guard ssh_pki_import_privkey_base64(text, nil, nil, nil, &key) == SSH_OK, let key else {
            throw SSHError(function: "ssh_pki_import_privkey_base64", message: "not a readable unencrypted private key")
        }
        self.init(takingOwnership: key)
    }

    /// The private key in OpenSSH format (`-----BEGIN OPENSSH PRIVATE KEY-----`).
    /// - Throws: `SSHError` when libssh cannot export it.
    package func privateKeyText() throws(SSHError) -> String {
        var text: UnsafeMutablePointer<CChar>?
        guard ssh_pki_export_privkey_base64(handle, nil, nil, nil, &text) == SSH_OK, let text else {
            throw SSHError(function: "ssh_pki_export_privkey_base64", message: "cannot export the key")
        }
        defer { ssh_string_free_char(text) }
        return String(cString: text)
    }

    /// The public half as one `authorized_keys`/`known_hosts` style line: `TYPE BASE64`.
    /// - Throws: `SSHError` when libssh cannot export it.
    package func publicKeyLine() throws(SSHError) -> String {
        var text: UnsafeMutablePointer<CChar>?
        guard ssh_pki_export_pubkey_base64(handle, &text) == SSH_OK, let text else {
            throw SSHError(function: "ssh_pki_export_pubkey_base64", message: "cannot export the public key")
        }
        defer { ssh_string_free_char(text) }
        guard let name = ssh_key_type_to_char(ssh_key_type(handle)) else {
            throw SSHError(function: "ssh_key_type_to_char", message: "unknown key type")
        }
        return String(cString: name) + " " + String(cString: text)
    }

    /// The algorithm name (`ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`).
    package var typeName: String {
        ssh_key_type_to_char(ssh_key_type(handle)).map { String(cString: $0) } ?? "unknown"
    }

    /// `SHA256:…`, as `ssh-keygen -lf` prints it.
    package var fingerprint: String {
        SSHLibrary.fingerprint(of: handle) ?? "unknown"
    }
}
