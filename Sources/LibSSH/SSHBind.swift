internal import CLibSSH
import Glibc

/// A listening SSH server socket, owning one libssh `ssh_bind`.
///
/// ```swift
/// let bind = try SSHBind(host: "0.0.0.0", port: 2222, hostKeys: [ed25519Text, rsaText])
/// while let socket = try bind.acceptSocket() { let session = try bind.session(adopting: socket) … }
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

    /// Connections the kernel queues for `accept` (capped by `net.core.somaxconn`).
    package static let backlog: Int32 = 1024

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
        // libssh listens with a backlog of 10: under a connection flood the kernel then drops a
        // real client's SYN and it retries 1, 3, 7 s later. Listening again only deepens the queue.
        _ = Glibc.listen(descriptor, Self.backlog)
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

    /// Accepts one pending TCP connection (close-on-exec at once), without SSH yet.
    /// - Returns: the connection, or nil when none was pending after all.
    /// - Throws: `SSHError` with `errno` on failures other than "try again" (`isOutOfDescriptors`
    ///   tells a full descriptor table, when the connection stays queued for a later try).
    package func acceptSocket() throws(SSHError) -> IncomingSocket? {
        let fd = CLibSSH_accept_cloexec(descriptor)
        guard fd >= 0 else {
            let code = errno
            if code == EAGAIN || code == EWOULDBLOCK || code == EINTR || code == ECONNABORTED || code == EPROTO { return nil }
            throw SSHError.system("accept", errno: code)
        }
        return IncomingSocket(descriptor: fd)
    }

    /// Starts an SSH session on an accepted connection; libssh owns its socket from then on.
    /// - Throws: `SSHError` when libssh cannot set the session up (the socket is closed).
    package func session(adopting socket: IncomingSocket) throws(SSHError) -> SSHSession {
        let session = try SSHSession()
        let fd = socket.release()
        let result = session.withHandle { ssh_bind_accept_fd(handle, $0, fd) }
        guard result == SSH_OK else {
            let error = SSHError.last(handle, "ssh_bind_accept_fd")
            // libssh closes the socket with the session once it took it; else it is ours to close.
            if session.descriptor != fd { Glibc.close(fd) }
            throw error
        }
        // Small replies (a command's output, git's status report) must not wait for the
        // client's delayed ACK (Nagle): bulk data goes out in full packets anyway.
        var on: Int32 = 1
        _ = setsockopt(session.descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        return session
    }

    /// Accepts one pending connection and starts its session.
    /// - Returns: the new session, or nil when no connection was pending after all.
    /// - Throws: `SSHError` on failures other than "try again".
    package func accept() throws(SSHError) -> SSHSession? {
        guard let socket = try acceptSocket() else { return nil }
        return try session(adopting: socket)
    }
}
