import Logging
import NIOCore
package import OpenrukoCore

/// The router's connection cap (issue 21): client connections of both listeners count against
/// one `ConnectionBudget`, in all and per source address, so a flood of idle sockets from one
/// address cannot take the descriptors every other client and listener needs. A connection
/// beyond it gets a `503` (plain HTTP; a TLS one is just closed) and is closed before anything
/// of it is read; refusals are logged at most once a minute per address (`ListenerCap`).
final class ConnectionGate: Sendable {
    private let cap: ListenerCap
    private let logger: Logger?

    init(total: Int, perSource: Int, logger: Logger?) {
        cap = ListenerCap(total: total, perSource: perSource)
        self.logger = logger
    }

    /// Admits a new connection (released when it closes), or refuses it: true when admitted.
    func admit(_ channel: any Channel, plainHTTP: Bool) -> Bool {
        let source = channel.remoteAddress?.ipAddress ?? "unknown"
        guard let refused = cap.admit(source) else {
            let cap = cap
            channel.closeFuture.whenComplete { _ in cap.release(source) }
            return true
        }
        log(refused, source: source)
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
        return false
    }

    private func log(_ refused: ListenerCap.Refused, source: String) {
        guard let logger else { return }
        if refused.logThis {
            let reason =
                refused.refusal == .full ? "the router serves as many connections as it may" : "too many connections from this address"
            logger.warning("router: refusing connections from \(source): \(reason)")
        }
        if let summary = refused.summary {
            logger.warning("router: refused \(summary.refusals) more connections from \(summary.sources) addresses (not logged one by one)")
        }
    }
}
