import Foundation
import HTTPTypes
import Logging
import NIOCore
import OpenrukoCore

/// The API listener's connection cap (issue 21): every connection is admitted against one
/// shared `ListenerCap` (in all and per source address); one beyond it is answered
/// `503` with Heroku's error JSON and `Retry-After`, and closed, before any request of it is
/// read. Refusals are logged one line per source per minute and a
/// count of the rest.
final class ConnectionLimiter: Sendable {
    private let cap: ListenerCap
    private let logger: Logger

    init(total: Int, perSource: Int, logger: Logger) {
        cap = ListenerCap(total: total, perSource: perSource)
        self.logger = logger
    }

    /// The caps for a process whose descriptor limit is `descriptors`: a quarter of it for the
    /// API (at least 128, at most 4,096 connections), half of that per source address.
    static func sized(forDescriptors descriptors: Int, logger: Logger) -> ConnectionLimiter {
        let total = min(4096, max(128, descriptors / 4))
        return ConnectionLimiter(total: total, perSource: total / 2, logger: logger)
    }

    /// A handler for one new connection.
    func handler() -> Handler { Handler(limiter: self) }

    fileprivate func admit(_ source: String) -> ConnectionBudget.Refusal? {
        guard let refused = cap.admit(source) else { return nil }
        if refused.logThis {
            let reason =
                refused.refusal == .full ? "the API serves as many connections as it may" : "too many connections from this address"
            logger.warning("API: refusing connections from \(source): \(reason)")
        }
        if let summary = refused.summary {
            logger.warning("API: refused \(summary.refusals) more connections from \(summary.sources) addresses (not logged one by one)")
        }
        return refused.refusal
    }

    fileprivate func release(_ source: String) {
        cap.release(source)
    }

    /// Admits its connection when it becomes active and releases it when it closes.
    final class Handler: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = NIOAny
        typealias InboundOut = NIOAny

        private let limiter: ConnectionLimiter
        private var source: String?
        private var refused = false

        fileprivate init(limiter: ConnectionLimiter) {
            self.limiter = limiter
        }

        func handlerAdded(context: ChannelHandlerContext) {
            if context.channel.isActive { decide(context) }
        }

        func channelActive(context: ChannelHandlerContext) {
            decide(context)
            context.fireChannelActive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            // A refused connection's requests are never served.
            if !refused { context.fireChannelRead(data) }
        }

        func channelInactive(context: ChannelHandlerContext) {
            releaseOnce()
            context.fireChannelInactive()
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            releaseOnce()
        }

        private func releaseOnce() {
            if let source { limiter.release(source) }
            source = nil
        }

        /// Admits the connection, or has `RefusalWriter` answer 503 and close it.
        private func decide(_ context: ChannelHandlerContext) {
            guard source == nil, !refused else { return }
            let address = context.channel.remoteAddress?.ipAddress ?? "unknown"
            guard let refusal = limiter.admit(address) else {
                source = address
                return
            }
            refused = true
            let message =
                refusal == .full
                ? "The API is serving as many connections as it may; try again shortly."
                : "Too many connections from your address; close some and try again."
            let error = APIError(.serviceUnavailable, id: "unavailable", message, retryAfter: 5)
            let body = Array(error.jsonText.utf8)
            let head =
                "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 5\r\n"
                + "Connection: close\r\nContent-Length: \(body.count)\r\n\r\n"
            try? context.pipeline.syncOperations.addHandler(RefusalWriter(Array(head.utf8) + body), position: .first)
        }
    }
}
