import NIOCore
import OpenrukoCore

/// What the dyno connection reports back: response heads, body pieces, ends, upgrades, failures.
extension ProxyHandler {
    func backendResponseHead(_ connection: BackendConnection, _ head: ParsedHead, _ headBytes: ByteBuffer, length: BodyLength) {
        guard let exchange, connection === exchange.connection else { return connection.close() }
        let keepAlive = exchange.clientKeepAlive && !closeWhenIdle && !exchange.wantsUpgrade && length != .untilClose
        exchange.responseStarted = true
        responseWindowStart = .now()
        responseWindowBytes = 0
        exchange.responseKeepAlive = keepAlive
        exchange.log.status = head.status
        var coalesced = 0
        if case .length(let count) = length, count <= Self.coalescedBodyLimit { coalesced = count }
        var out = allocator.buffer(capacity: headBytes.readableBytes + 64 + coalesced)
        HeadWriter.writeResponse(
            head, from: headBytes, keepAlive: keepAlive, clientMinorVersion: exchange.clientMinorVersion, via: forwarding.via,
            into: &out)
        if coalesced > 0 {
            pendingResponseHead = out
        } else {
            write(out)
        }
    }

    /// Bodies up to this size are copied behind their head: one write instead of two.
    static let coalescedBodyLimit = 16 * 1024

    /// Writes a held response head, with `piece` behind it when there is one.
    func emitPendingHead(with piece: ByteBuffer? = nil) {
        guard var head = pendingResponseHead else {
            if let piece { write(piece) }
            return
        }
        pendingResponseHead = nil
        if var piece { head.writeBuffer(&piece) }
        write(head)
    }

    /// 100 Continue, 103 Early Hints: passed on; the final head follows.
    func backendInformational(_ connection: BackendConnection, _ head: ParsedHead, _ headBytes: ByteBuffer) {
        guard let exchange, connection === exchange.connection, exchange.clientMinorVersion >= 1 else { return }
        var out = allocator.buffer(capacity: headBytes.readableBytes + 32)
        HeadWriter.writeResponse(head, from: headBytes, keepAlive: true, clientMinorVersion: 1, via: forwarding.via, into: &out)
        write(out)
    }

    /// - Parameter payload: body bytes in `piece`, without chunked framing (for the log).
    func backendResponseBody(_ connection: BackendConnection, _ piece: ByteBuffer, payload: Int) {
        guard let exchange, connection === exchange.connection else { return }
        exchange.bytes += payload
        emitPendingHead(with: piece)
    }

    func backendResponseEnd(_ connection: BackendConnection) {
        guard connection === exchange?.connection else { return }
        finishExchange()
    }

    /// A read batch of a dyno connection ended: what it wrote to the client goes out.
    func backendReadComplete(_ connection: BackendConnection) {
        emitPendingHead()
        flushClientIfNeeded()
    }

    func backendWritabilityChanged(_ connection: BackendConnection) {
        if connection.isWritable { resumeReadingIfPossible() }
    }

    /// The dyno switched protocols: both connections become one byte tunnel.
    func backendSwitched(_ connection: BackendConnection, _ head: ParsedHead, _ headBytes: ByteBuffer) {
        guard let exchange, connection === exchange.connection else { return connection.close() }
        guard exchange.wantsUpgrade else { return fail(.connectionClosed) }
        self.exchange = nil
        timer?.cancel()
        timer = nil
        timerDeadline = .distantFuture
        var out = allocator.buffer(capacity: headBytes.readableBytes + 64)
        HeadWriter.writeResponse(head, from: headBytes, keepAlive: true, clientMinorVersion: 1, via: forwarding.via, into: &out)
        write(out)
        flushClientIfNeeded()
        if let counted = exchange.counted { environment.inFlight.end(counted) }
        exchange.log.status = 101
        let now = NIODeadline.now()
        finishLog(exchange, now: now)
        emit(exchange, now: now)
        state = .tunnel
        tunnel = connection
        armTimer(lastActivity + environment.configuration.tunnelIdleTimeout)
        processInbound()  // bytes the client sent right after its request
        flushBackendIfNeeded()
    }

    func backendTunnel(_ connection: BackendConnection, _ bytes: ByteBuffer) {
        guard connection === tunnel else { return }
        write(bytes)
    }

    /// The dyno closed the connection or sent something unreadable.
    func backendClosed(_ connection: BackendConnection) {
        if connection === tunnel {
            tunnel = nil
            return closeAfterFlush()
        }
        guard let exchange, connection === exchange.connection else { return }
        connection.owner = nil
        if !exchange.responseStarted {
            if exchange.reused && !exchange.bodyForwarded && !exchange.replayed, let backend = exchange.backend {
                // A kept-alive connection the dyno had just closed: send the request again on a new one.
                exchange.replayed = true
                exchange.connection = nil
                exchange.sentAt = nil
                state = .routing
                return openConnection(to: backend)
            }
            return fail(.connectionClosed)
        }
        // The response was cut short: all the client can be told is the connection closing.
        emitPendingHead()
        self.exchange = nil
        if let counted = exchange.counted { environment.inFlight.end(counted) }
        let now = NIODeadline.now()
        finishLog(exchange, now: now)
        emit(exchange, now: now)
        closeAfterFlush()
    }

    /// The response ended: log it, pool the dyno connection, and go on with the next request.
    func finishExchange() {
        guard let exchange else { return }
        emitPendingHead()
        self.exchange = nil
        let now = NIODeadline.now()
        lastActivity = now
        if let counted = exchange.counted { environment.inFlight.end(counted) }
        finishLog(exchange, now: now)
        emit(exchange, now: now)
        if let connection = exchange.connection {
            connection.owner = nil
            if exchange.requestEnded && connection.isReusable {
                pool.release(connection, now: now)
            } else {
                // A dyno connection closed inside its read batch gets no read-complete event,
                // so what it delivered goes out now (an HTTP/1.0 dyno's body stayed unflushed).
                flushClientIfNeeded()
                connection.close()
            }
        }
        guard exchange.responseKeepAlive && !closeWhenIdle else { return closeAfterFlush() }
        state = exchange.requestEnded ? .idle : .discarding
        processInbound()
    }
}
