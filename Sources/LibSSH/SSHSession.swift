internal import CLibSSH
import Glibc

/// What a session asks its owner while libssh processes packets. Every method is called
/// on the thread that runs `SSHEvent.process`, from inside libssh: answer quickly, record
/// what must be done, and do it after `process` returns (never poll or add descriptors here).
package protocol SSHSessionDelegate: AnyObject {
    /// Public-key authentication. `signed == false` is the client's probe ("would this key
    /// do?"); only a `signed == true` call (signature verified by libssh) authenticates.
    func session(_ session: SSHSession, authenticateKey fingerprint: String, type: String, signed: Bool) -> Bool
    /// The client opens a session channel (for exec); return `session.makeChannel()` or nil.
    func sessionOpensChannel(_ session: SSHSession) -> SSHChannel?
    /// The client asks for a `direct-tcpip` channel (`ssh -L`) to `host:port`; call `accept`
    /// to get the channel, or return without calling it to refuse.
    func session(_ session: SSHSession, forwardTo host: String, port: Int, accept: () -> SSHChannel?)
}

/// One client connection, owning one libssh `ssh_session`.
///
/// Life: `SSHBind.session(adopting:)` → `setDelegate` → `exchangeKeys` → `setBlocking(false)` →
/// `SSHEvent(session:)` and `process` in a poll loop → `disconnect`.
package final class SSHSession {
    private let handle: ssh_session
    private let callbacks: UnsafeMutablePointer<ssh_server_callbacks_struct>
    /// Receives authentication and channel requests.
    package private(set) weak var delegate: (any SSHSessionDelegate)?

    init() throws(SSHError) {
        _ = SSHLibrary.initialized
        guard let handle = ssh_new() else { throw SSHError(function: "ssh_new", message: "out of memory") }
        self.handle = handle
        callbacks = .allocate(capacity: 1)
        callbacks.initialize(to: ssh_server_callbacks_struct())
    }

    deinit {
        ssh_free(handle)
        callbacks.deinitialize(count: 1)
        callbacks.deallocate()
    }

    func withHandle<T>(_ body: (ssh_session) -> T) -> T { body(handle) }

    /// Installs the callbacks: public-key authentication only, session channels, forwards.
    package func setDelegate(_ delegate: any SSHSessionDelegate) {
        self.delegate = delegate
        let me = Unmanaged.passUnretained(self).toOpaque()
        CLibSSH_server_callbacks_init(callbacks)
        callbacks.pointee.userdata = me
        callbacks.pointee.auth_pubkey_function = sessionAuthenticateKey
        callbacks.pointee.channel_open_request_session_function = sessionOpenChannel
        ssh_set_server_callbacks(handle, callbacks)
        ssh_set_message_callback(handle, sessionUnhandledMessage, me)
        ssh_set_auth_methods(handle, Int32(SSH_AUTH_METHOD_PUBLICKEY))
    }

    /// Runs the key exchange (at most `timeout` seconds), leaving the session nonblocking.
    ///
    /// It is driven step by step so that delayed ACKs can be switched off before each step:
    /// the client sends two small packets back to back (KEXINIT, then its key share), and
    /// its Nagle algorithm holds the second until our ACK, which Linux delays by 40 ms.
    /// - Throws: `SSHError` when the client fails or is too slow.
    package func exchangeKeys(timeout seconds: Int) throws(SSHError) {
        let deadline = ContinuousClock.now + .seconds(seconds)
        setBlocking(false)
        while true {
            var on: Int32 = 1
            _ = setsockopt(descriptor, Int32(IPPROTO_TCP), 12 /* TCP_QUICKACK */, &on, socklen_t(MemoryLayout<Int32>.size))
            let result = ssh_handle_key_exchange(handle)
            if result == SSH_OK { return }
            guard result == SSH_AGAIN else { throw SSHError.last(handle, "ssh_handle_key_exchange") }
            let left = deadline - .now
            guard left > .zero else { throw SSHError(function: "ssh_handle_key_exchange", message: "timed out") }
            var requests = [PollRequest(descriptor, wantsWrite ? [.readable, .writable] : .readable)]
            Poller.wait(&requests, timeout: Int32(min(left.components.seconds * 1000 + 1, 1000)))
        }
    }

    /// In nonblocking mode channel writes never wait for the client: they queue, and the
    /// queue is flushed by `SSHEvent.process` when the socket is writable.
    package func setBlocking(_ blocking: Bool) {
        ssh_set_blocking(handle, blocking ? 1 : 0)
    }

    /// The client socket.
    package var descriptor: Int32 { ssh_get_fd(handle) }

    /// Whether libssh has queued output waiting for the socket to be writable.
    package var wantsWrite: Bool { ssh_get_poll_flags(handle) & Int32(SSH_WRITE_PENDING) != 0 }

    /// Whether the connection is still up.
    package var isConnected: Bool { ssh_is_connected(handle) == 1 }

    /// The client's address, for logs.
    package var peerDescription: String {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let fd = descriptor
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) == 0 }
        }
        guard ok else { return "unknown" }
        var host = [CChar](repeating: 0, count: 64)
        var port = [CChar](repeating: 0, count: 16)
        let status = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getnameinfo($0, length, &host, 64, &port, 16, NI_NUMERICHOST | NI_NUMERICSERV)
            }
        }
        guard status == 0 else { return "unknown" }
        let text = { (chars: [CChar]) in String(decoding: chars.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        return text(host) + ":" + text(port)
    }

    /// The last libssh error on this session.
    package var lastError: String { SSHError.last(handle, "session").message }

    /// A new channel on this session (call from `sessionOpensChannel`).
    package func makeChannel() -> SSHChannel? {
        guard let channel = ssh_channel_new(handle) else { return nil }
        return SSHChannel(session: self, takingOwnership: channel)
    }

    /// Sends a disconnect message and closes the socket.
    package func disconnect() {
        ssh_disconnect(handle)
    }

    // MARK: - From the C callbacks

    fileprivate func authenticate(_ key: ssh_key?, state: CChar) -> Int32 {
        let probe = state == CChar(SSH_PUBLICKEY_STATE_NONE.rawValue)
        let valid = state == CChar(SSH_PUBLICKEY_STATE_VALID.rawValue)
        guard probe || valid, let key, let delegate, let fingerprint = SSHLibrary.fingerprint(of: key),
            let type = ssh_key_type_to_char(ssh_key_type(key))
        else { return Int32(SSH_AUTH_DENIED.rawValue) }
        let accepted = delegate.session(self, authenticateKey: fingerprint, type: String(cString: type), signed: valid)
        return Int32(accepted ? SSH_AUTH_SUCCESS.rawValue : SSH_AUTH_DENIED.rawValue)
    }

    fileprivate func openChannel() -> ssh_channel? {
        delegate?.sessionOpensChannel(self)?.retainedHandleForLibssh()
    }

    /// Returns 0 when handled, 1 to let libssh send its default refusal.
    fileprivate func handleUnhandled(_ message: ssh_message?) -> Int32 {
        guard let message, let delegate,
            ssh_message_type(message) == Int32(SSH_REQUEST_CHANNEL_OPEN.rawValue),
            ssh_message_subtype(message) == Int32(SSH_CHANNEL_DIRECT_TCPIP.rawValue),
            let host = ssh_message_channel_request_open_destination(message)
        else { return 1 }
        let port = Int(ssh_message_channel_request_open_destination_port(message))
        var opened: SSHChannel?
        delegate.session(self, forwardTo: String(cString: host), port: port) {
            guard let channel = ssh_message_channel_request_open_reply_accept(message) else { return nil }
            opened = SSHChannel(session: self, takingOwnership: channel)
            return opened
        }
        return opened == nil ? 1 : 0
    }
}

// MARK: - C callbacks (non-capturing; `userdata` is the unretained SSHSession)

private let sessionAuthenticateKey: ssh_auth_pubkey_callback = { _, _, key, state, userdata in
    guard let userdata else { return Int32(SSH_AUTH_DENIED.rawValue) }
    return Unmanaged<SSHSession>.fromOpaque(userdata).takeUnretainedValue().authenticate(key, state: state)
}

private let sessionOpenChannel: ssh_channel_open_request_session_callback = { _, userdata in
    guard let userdata else { return nil }
    return Unmanaged<SSHSession>.fromOpaque(userdata).takeUnretainedValue().openChannel()
}

private let sessionUnhandledMessage: ssh_message_callback = { _, message, userdata in
    guard let userdata else { return 1 }
    return Unmanaged<SSHSession>.fromOpaque(userdata).takeUnretainedValue().handleUnhandled(message)
}
