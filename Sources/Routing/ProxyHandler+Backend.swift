import NIOCore
import OpenrukoCore

/// What the dyno connection reports back: response heads, body pieces, ends, upgrades, failures.
extension ProxyHandler {
    func backendResponseHead(_ connection: BackendConnection, _ head: ParsedHead, _ headBytes: ByteBuffer, length: BodyLength) {
        guard let exchange, connection === exchange.connection else { return connection.close() }
        let keepAlive = machine.responseHead(untilClose: length == .untilClose, at: .now())
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
        let now = NIODeadline.now()
        let idleDeadline: NIODeadline
        switch machine.switchedProtocols(at: now) {
        case .refuse(let error): return fail(error)
        case .tunnel(let deadline): idleDeadline = deadline
        }
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
        finishLog(exchange, now: now)
        emit(exchange, now: now)
        tunnel = connection
        armTimer(idleDeadline)
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
        } else {
            guard connection === exchange?.connection else { return }
            connection.owner = nil
        }
        switch machine.dynoClosed() {
        case .close:
            return closeAfterFlush()
        case .replay:
            // A kept-alive connection the dyno had just closed: send the request again on a new one.
            guard let exchange, let backend = exchange.backend else { return fail(.connectionClosed) }
            exchange.connection = nil
            return openConnection(to: backend)
        case .fail(let error):
            return fail(error)
        case .endResponse:
            break
        }
        guard let exchange else { return closeAfterFlush() }
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
        let ending = machine.responseEnded(dynoReusable: exchange.connection?.isReusable == true, at: now)
        if let counted = exchange.counted { environment.inFlight.end(counted) }
        finishLog(exchange, now: now)
        emit(exchange, now: now)
        if let connection = exchange.connection {
            connection.owner = nil
            if ending.releaseDyno {
                pool.release(connection, now: now)
            } else {
                // A dyno connection closed inside its read batch gets no read-complete event,
                // so what it delivered goes out now (an HTTP/1.0 dyno's body stayed unflushed).
                flushClientIfNeeded()
                connection.close()
            }
        }
        guard ending.then != .close else { return closeAfterFlush() }
        processInbound()
    }
}
