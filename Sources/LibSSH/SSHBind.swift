internal import CLibSSH
import Glibc

/// A listening SSH server socket, owning one libssh `ssh_bind`.
///
/// ```swift
/// let bind = try SSHBind(host: "0.0.0.0", port: 2222, hostKeys: [ed25519Text, rsaText])
/// while let session = try bind.accept() { … }
/// ```
package final class SSHBind {
    private let handle: ssh_bind

    /// Client key signature algorithms accepted for public-key authentication.
    package static let acceptedClientKeyTypes = [
        "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "rsa-sha2-512", "rsa-sha2-256",
    ]

    /// What the server offers (what public SSH audits ask for): no NIST-curve key exchange,
    /// ed25519 and RSA (SHA-2) host keys, encrypt-then-MAC MACs only. libssh adds the strict
    /// key exchange marker (Terrapin) itself.
    package static let keyExchanges = [
        "curve25519-sha256", "curve25519-sha256@libssh.org", "diffie-hellman-group16-sha512", "diffie-hellman-group18-sha512",
    ]
    package static let hostKeyAlgorithms = ["ssh-ed25519", "rsa-sha2-512", "rsa-sha2-256"]
    package static let macs = ["hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com"]

    /// Binds and listens.
    /// - Parameters:
    ///   - hostKeys: private keys (OpenSSH format), at most one per algorithm.
    ///   - ciphers: cipher preference, or nil for libssh's defaults.
    /// - Throws: `SSHError` when a key is unreadable or the address cannot be bound.
    package init(host: String, port: Int, hostKeys: [String], ciphers: String? = nil) throws(SSHError) {
        _ = SSHLibrary.initialized
        guard let handle = ssh_bind_new() else { throw SSHError(function: "ssh_bind_new", message: "out of memory") }
        self.handle = handle
        // libssh would otherwise read /etc/ssh/libssh_server_config and let it override us.
        var processConfig = false
        try check(ssh_bind_options_set(handle, SSH_BIND_OPTIONS_PROCESS_CONFIG, &processConfig), "PROCESS_CONFIG")
        try check(ssh_bind_options_set(handle, SSH_BIND_OPTIONS_BINDADDR, host), "BINDADDR")
        var bindPort = Int32(port)
        try check(ssh_bind_options_set(handle, SSH_BIND_OPTIONS_BINDPORT, &bindPort), "BINDPORT")
        try check(
            ssh_bind_options_set(handle, SSH_BIND_OPTIONS_PUBKEY_ACCEPTED_KEY_TYPES, Self.acceptedClientKeyTypes.joined(separator: ",")),
            "PUBKEY_ACCEPTED_KEY_TYPES")
        try check(ssh_bind_options_set(handle, SSH_BIND_OPTIONS_KEY_EXCHANGE, Self.keyExchanges.joined(separator: ",")), "KEY_EXCHANGE")
        try check(
            ssh_bind_options_set(handle, SSH_BIND_OPTIONS_HOSTKEY_ALGORITHMS, Self.hostKeyAlgorithms.joined(separator: ",")),
            "HOSTKEY_ALGORITHMS")
        try check(ssh_bind_options_set(handle, SSH_BIND_OPTIONS_HMAC_C_S, Self.macs.joined(separator: ",")), "HMAC_C_S")
        try check(ssh_bind_options_set(handle, SSH_BIND_OPTIONS_HMAC_S_C, Self.macs.joined(separator: ",")), "HMAC_S_C")
        if let ciphers {
            try check(ssh_bind_options_set(handle, SSH_BIND_OPTIONS_CIPHERS_C_S, ciphers), "CIPHERS_C_S")
            try check(ssh_bind_options_set(handle, SSH_BIND_OPTIONS_CIPHERS_S_C, ciphers), "CIPHERS_S_C")
        }
        for text in hostKeys {
            var key: ssh_key?
            guard ssh_pki_import_privkey_base64(text, nil, nil, nil, &key) == SSH_OK, let key else {
                throw SSHError(function: "ssh_pki_import_privkey_base64", message: "unreadable host key")
            }
            // IMPORT_KEY takes ownership of the key: the bind frees it.
            guard ssh_bind_options_set(handle, SSH_BIND_OPTIONS_IMPORT_KEY, UnsafeRawPointer(key)) == SSH_OK else {
                ssh_key_free(key)
                throw SSHError.last(handle, "ssh_bind_options_set(IMPORT_KEY)")
            }
        }
        guard ssh_bind_listen(handle) == SSH_OK else { throw SSHError.last(handle, "ssh_bind_listen") }
        // A nonblocking listener: accept after poll never hangs on a connection that vanished.
        _ = CLibSSH_set_nonblocking(descriptor)
    }

    deinit {
        ssh_bind_free(handle)
    }

    private func check(_ result: Int32, _ option: String) throws(SSHError) {
        if result != SSH_OK { throw SSHError.last(handle, "ssh_bind_options_set(\(option))") }
    }

    /// The listening socket, for polling.
    package var descriptor: Int32 { ssh_bind_get_fd(handle) }

    /// The address actually bound (`127.0.0.1:40123` when port 0 was asked).
    package var boundAddress: SocketAddress? { SocketAddress.local(of: descriptor) }

    /// Accepts one pending connection.
    /// - Returns: the new session, or nil when no connection was pending after all.
    /// - Throws: `SSHError` on failures other than "try again".
    package func accept() throws(SSHError) -> SSHSession? {
        let session = try SSHSession()
        let result = session.withHandle { ssh_bind_accept(handle, $0) }
        guard result == SSH_OK else {
            let error = SSHError.last(handle, "ssh_bind_accept")
            if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED { return nil }
            throw error
        }
        // libssh accepts without close-on-exec; children must not inherit client sockets.
        _ = CLibSSH_set_cloexec(session.descriptor)
        // Small replies (a command's output, git's status report) must not wait for the
        // client's delayed ACK (Nagle): bulk data goes out in full packets anyway.
        var on: Int32 = 1
        _ = setsockopt(session.descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        return session
    }
}
