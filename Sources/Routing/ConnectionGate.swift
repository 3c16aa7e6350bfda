import Logging
import NIOCore
package import OpenrukoCore
import Synchronization

/// The router's connection cap (issue 21): client connections of both listeners count against
/// one `ConnectionBudget`, in all and per source address, so a flood of idle sockets from one
/// address cannot take the descriptors every other client and listener needs. A connection
/// beyond it gets a `503` (plain HTTP; a TLS one is just closed) and is closed before anything
/// of it is read; refusals are logged through a `RefusalLog`.
final class ConnectionGate: Sendable {
    private let budget: Mutex<ConnectionBudget>
    private let refusals = Mutex(RefusalLog())
    private let logger: Logger?

    init(total: Int, perSource: Int, logger: Logger?) {
        budget = Mutex(ConnectionBudget(total: total, perSource: perSource))
        self.logger = logger
    }

    /// Admits a new connection (released when it closes), or refuses it: true when admitted.
    func admit(_ channel: any Channel, plainHTTP: Bool) -> Bool {
        let source = channel.remoteAddress?.ipAddress ?? "unknown"
        guard let refusal = budget.withLock({ $0.admit(source) }) else {
            channel.closeFuture.whenComplete { _ in self.budget.withLock { $0.release(source) } }
            return true
        }
        log(refusal, source: source)
        if plainHTTP {
            let reason = refusal == .full ? "The router is serving as many connections as it may" : "Too many connections from your address"
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

    private func log(_ refusal: ConnectionBudget.Refusal, source: String) {
        guard let logger else { return }
        let now = ContinuousClock.now
        let (logIt, summary) = refusals.withLock { ($0.refused(source, now: now), $0.summary(now: now)) }
        if logIt {
            let reason = refusal == .full ? "the router serves as many connections as it may" : "too many connections from this address"
            logger.warning("router: refusing connections from \(source): \(reason)")
        }
        if let summary {
            logger.warning("router: refused \(summary.refusals) more connections from \(summary.sources) addresses (not logged one by one)")
        }
    }
}
