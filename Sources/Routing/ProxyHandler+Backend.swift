import NIOCore
import NIOHTTP1
import OpenrukoCore

/// What the dyno connection reports back: response parts, its end, its failure.
extension ProxyHandler {
    func backendReceived(_ connection: BackendConnection, _ part: HTTPClientResponsePart) {
        guard connection === exchange?.connection else { return connection.close() }
        switch part {
        case .head(let head):
            receivedHead(head)
        case .body(let buffer):
            exchange!.bytes += buffer.readableBytes
            if exchange!.framing != .none { write(.body(.byteBuffer(buffer))) }
        case .end(let trailers):
            if let switching = exchange!.switchingHead {
                return upgrade(connection, response: switching)
            }
            write(.end(exchange!.framing == .chunked ? trailers : nil))
            finishExchange()
        }
    }

    private func receivedHead(_ head: HTTPResponseHead) {
        let status = head.status.code
        if status == 101 {
            guard exchange!.wantsUpgrade else { return fail(.connectionClosed) }
            exchange!.switchingHead = head
            exchange!.responseStarted = true
            return
        }
        let response = HeaderRewriter.respond(
            head, method: exchange!.method, clientVersion: exchange!.clientVersion,
            clientKeepAlive: exchange!.clientKeepAlive && !closeWhenIdle && !exchange!.wantsUpgrade,
            via: forwarding.via)
        if (100..<200).contains(status) {
            write(.head(response.head))  // 100 Continue, 103 Early Hints: the final head follows
            return
        }
        exchange!.responseStarted = true
        exchange!.framing = response.framing
        exchange!.responseKeepAlive = response.keepAlive
        exchange!.backendKeepAlive = head.isKeepAlive
        exchange!.log.status = Int(status)
        write(.head(response.head))
    }

    func backendReadComplete(_ connection: BackendConnection) {
        context.flush()
    }

    func backendWritabilityChanged(_ connection: BackendConnection) {
        if connection.isWritable { resumeReadingIfPossible() }
    }

    /// The dyno closed the connection or it failed.
    func backendClosed(_ connection: BackendConnection, error: (any Error)?) {
        guard connection === exchange?.connection, var exchange else { return }
        connection.owner = nil
        if !exchange.responseStarted {
            if exchange.reused && !exchange.bodyForwarded && !exchange.replayed, let backend = exchange.backend {
                // A kept-alive connection the dyno had just closed: send the request again on a new one.
                exchange.replayed = true
                exchange.connection = nil
                exchange.sentAt = nil
                self.exchange = exchange
                state = .routing
                return openConnection(to: backend)
            }
            return fail(.connectionClosed)
        }
        // The response was cut short: all the client can be told is the connection closing.
        self.exchange = nil
        if let counted = exchange.counted { environment.inFlight.end(counted) }
        finishLog(&exchange, now: .now())
        emit(exchange)
        closeAfterFlush()
    }

    /// The response ended: log it, pool the dyno connection, and go on with the next request.
    func finishExchange() {
        guard var exchange else { return }
        self.exchange = nil
        let now = NIODeadline.now()
        lastActivity = now
        if let counted = exchange.counted { environment.inFlight.end(counted) }
        finishLog(&exchange, now: now)
        emit(exchange)
        if let connection = exchange.connection {
            connection.owner = nil
            if exchange.requestEnded && exchange.backendKeepAlive {
                pool.release(connection)
            } else {
                connection.close()
            }
        }
        guard exchange.responseKeepAlive && !closeWhenIdle else { return closeAfterFlush() }
        context.flush()  // the dyno connection's read-complete no longer reaches this exchange
        state = exchange.requestEnded ? .idle : .discarding
        drainQueue()
    }
}
