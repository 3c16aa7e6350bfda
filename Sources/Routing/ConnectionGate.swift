import Logging
import NIOCore
package import OpenrukoCore
import Synchronization

/// A listener's connection cap (issue 21), for the router and the rendezvous listener: client
/// connections count against one `ListenerCap`, in all and per source address, so a flood of
/// idle sockets from one address cannot take the descriptors every other client and listener
/// needs. A connection beyond it is closed before anything of it is read (a plain HTTP one
/// after a `503`); refusals are logged at most once a minute per address (`ListenerCap`).
final class ConnectionGate: Sendable {
    private let cap: ListenerCap
    private let logger: Logger?
    /// `router`, `rendezvous`: how the log lines name the listener.
    private let listener: String

    init(total: Int, perSource: Int, logger: Logger?, listener: String = "router") {
        cap = ListenerCap(total: total, perSource: perSource)
        self.logger = logger
        self.listener = listener
    }

    /// Admits a new connection (released when it closes), or refuses it: true when admitted.
    func admit(_ channel: any Channel, plainHTTP: Bool) -> Bool {
        guard let pass = admitUntilIdentified(channel, plainHTTP: plainHTTP) else { return false }
        _ = pass  // released when the channel closes
        return true
    }

    /// Admits a new connection until it has identified itself (`Pass.identified()`, e.g. a
    /// valid rendezvous secret) or closes, whichever comes first; nil when refused (the
    /// connection is then being closed, unless `closingRefused` is false: then the caller
    /// closes it once it is set up). Only connections not yet identified count.
    func admitUntilIdentified(_ channel: any Channel, plainHTTP: Bool = false, closingRefused: Bool = true) -> Pass? {
        let source = channel.remoteAddress?.ipAddress ?? "unknown"
        guard let refused = cap.admit(source) else {
            let pass = Pass(cap: cap, source: source)
            channel.closeFuture.whenComplete { _ in pass.identified() }
            return pass
        }
        log(refused, source: source)
        guard closingRefused else { return nil }
        if plainHTTP {
            let reason = refused.refusal == .full ? "The router is serving as many connections as it may" : "Too many connections from your address"
            let body = reason + "; try again shortly.\n"
            let answer =
                "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nRetry-After: 5\r\n"
                + "Connection: close\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
            // The output closes after the answer; the client's bytes are read and dropped until
            // it closes (closing with unread bytes would reset the answer away), 2 s at most.
            channel.writeAndFlush(ByteBuffer(string: answer)).whenComplete { _ in channel.close(mode: .output, promise: nil) }
            channel.eventLoop.scheduleTask(in: .seconds(2)) { channel.close(promise: nil) }
        } else {
            channel.close(promise: nil)
        }
        return nil
    }

    /// An admitted connection's place, given back once.
    final class Pass: Sendable {
        private let cap: ListenerCap
        private let source: String
        private let released = Atomic(false)

        fileprivate init(cap: ListenerCap, source: String) {
            self.cap = cap
            self.source = source
        }

        /// The connection no longer counts (it identified itself, or closed).
        func identified() {
            guard !released.exchange(true, ordering: .acquiringAndReleasing) else { return }
            cap.release(source)
        }
    }

    private func log(_ refused: ListenerCap.Refused, source: String) {
        guard let logger else { return }
        if refused.logThis {
            let reason =
                refused.refusal == .full ? "the \(listener) serves as many connections as it may" : "too many connections from this address"
            logger.warning("\(listener): refusing connections from \(source): \(reason)")
        }
        if let summary = refused.summary {
            logger.warning("\(listener): refused \(summary.refusals) more connections from \(summary.sources) addresses (not logged one by one)")
        }
    }
}
