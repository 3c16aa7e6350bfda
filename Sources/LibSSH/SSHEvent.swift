internal import CLibSSH

/// The libssh event loop for one session, owning one `ssh_event`.
///
/// It holds only the session socket: pipes and forward sockets are polled by the owner
/// (`Poller`), so libssh's internal polls (inside a channel write or flush) can never
/// re-enter the owner's descriptor handlers (swift-c-interop-notes P2/P3).
package final class SSHEvent {
    private let handle: ssh_event
    private let session: SSHSession

    /// What one round of processing found.
    package enum Outcome: Sendable, Equatable {
        /// Packets or socket events were handled.
        case processed
        /// Nothing was ready.
        case idle
        /// The connection failed or closed.
        case failed
    }

    /// - Throws: `SSHError` when libssh cannot create the event.
    package init(session: SSHSession) throws(SSHError) {
        guard let handle = ssh_event_new() else { throw SSHError(function: "ssh_event_new", message: "out of memory") }
        guard session.withHandle({ ssh_event_add_session(handle, $0) }) == SSH_OK else {
            ssh_event_free(handle)
            throw SSHError(function: "ssh_event_add_session", message: "cannot watch the session")
        }
        self.handle = handle
        self.session = session
    }

    deinit {
        _ = session.withHandle { ssh_event_remove_session(handle, $0) }
        ssh_event_free(handle)
    }

    /// Reads and handles what the socket has (one 4 KiB read at most) and flushes queued
    /// output, waiting at most `timeout` milliseconds. Callbacks run inside.
    package func process(timeout: Int32 = 0) -> Outcome {
        switch ssh_event_dopoll(handle, timeout) {
        case SSH_OK: return .processed
        case SSH_AGAIN: return .idle
        default: return .failed
        }
    }
}
