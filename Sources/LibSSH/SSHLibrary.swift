internal import CLibSSH

/// Process-wide libssh facts and helpers that need no session.
package enum SSHLibrary {
    /// Runs `ssh_init` once (it sets up libssh's crypto and threading), before any handle.
    static let initialized: Bool = ssh_init() == SSH_OK

    /// libssh's version string, e.g. `0.10.6/openssl/zlib`.
    package static var version: String {
        guard let text = ssh_version(0) else { return "unknown" }
        return String(cString: text)
    }

    /// The `SHA256:…` fingerprint libssh computes for a public key given as `TYPE BASE64`.
    /// It must equal the fingerprint openruko stores, since keys are looked up by it.
    /// - Returns: nil when libssh cannot import the key.
    package static func fingerprint(type: String, base64: String) -> String? {
        let keyType = ssh_key_type_from_name(type)
        guard keyType != SSH_KEYTYPE_UNKNOWN else { return nil }
        var key: ssh_key?
        guard ssh_pki_import_pubkey_base64(base64, keyType, &key) == SSH_OK, let key else { return nil }
        defer { ssh_key_free(key) }
        return fingerprint(of: key)
    }

    /// The `SHA256:…` fingerprint of a key handle libssh owns (borrowed for this call).
    static func fingerprint(of key: ssh_key) -> String? {
        var hash: UnsafeMutablePointer<UInt8>?
        var length = 0
        guard ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &length) == 0, hash != nil else { return nil }
        defer { ssh_clean_pubkey_hash(&hash) }
        guard let text = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, length) else { return nil }
        defer { ssh_string_free_char(text) }
        return String(cString: text)
    }
}
