import Foundation
import NIOCore
import OpenrukoCore

/// One client connection, the only handler of its channel: reads request heads strictly, routes
/// each request to a dyno over a pooled connection on the same event loop, and streams bodies
/// both ways as they arrive, with backpressure (the client is read only while the dyno
/// connection is writable, and the other way round). After a 101 both connections become a
/// raw byte tunnel.
///
/// The protocol decisions (framing, keep-alive, pipelining, upgrades, errors, drain, deadlines)
/// are `ProxyStateMachine`'s; this handler feeds it events and does the I/O: buffers, writes,
/// flushes, the timer, the dyno connections, the log lines.
///
/// Routing and the router's own answers are in `ProxyHandler+Routing.swift`, what comes back
/// from the dyno in `ProxyHandler+Backend.swift`.
final class ProxyHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let environment: ProxyEnvironment
    let pool: BackendPool
    /// Set from `handlerAdded` to `handlerRemoved` only: the context holds this handler, so
    /// keeping it longer would make a cycle and leak both with their pipeline (issue 21).
    private(set) var context: ChannelHandlerContext?
    var forwarding: ForwardingContext
    /// The connection's protocol state and decisions.
    var machine: ProxyStateMachine
    var exchange: Exchange?
    /// Bumped per exchange, so late callbacks (connects, boot polls) can tell they are stale.
    var exchangeNumber = 0
    /// Bytes read but not handled yet: a head still arriving, a body waiting for its dyno, or a
    /// pipelined request waiting for the current response.
    var inbound: ByteBuffer?
    var scanned = 0
    /// The dyno connection of an upgraded (tunnelled) connection.
    var tunnel: BackendConnection?
    var isProcessing = false
    var inReadBatch = false
    var backendNeedsFlush = false
    var clientNeedsFlush = false
    /// A small response's head, held until its body arrives in the same read batch so both go
    /// out as one write.
    var pendingResponseHead: ByteBuffer?
    /// Reused from request to request: the parsed fields and the log line's bytes.
    private var fieldScratch: [HeaderField] = []
    var logScratch = ByteBuffer()
    var readPending = false
    var random = FastRandom()
    var timer: Scheduled<Void>?
    var timerDeadline = NIODeadline.distantFuture

    init(environment: ProxyEnvironment, pool: BackendPool) {
        self.environment = environment
        self.pool = pool
        machine = ProxyStateMachine(timeouts: .init(environment.configuration), now: .now())
        forwarding = ForwardingContext(
            clientAddress: "", proto: environment.configuration.forwardedProto, port: 0, via: environment.configuration.via)
    }

    /// The client channel and its allocator, kept from `handlerAdded` (cheaper than going
    /// through the context on every request).
    private var channel: (any Channel)?
    var allocator = ByteBufferAllocator()

    var clientIsWritable: Bool { channel?.isWritable ?? false }
    /// The dyno connection in use (the exchange's or the tunnel's) takes more bytes.
    var dynoIsWritable: Bool { (tunnel ?? exchange?.connection)?.isWritable == true }

    // MARK: - Client events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        channel = context.channel
        allocator = context.channel.allocator
        if context.channel.isActive { start() }
    }

    /// Lets go of everything that could lead back to this handler (its context, a dyno
    /// connection whose `owner` it is, the timer's closure), so the connection's objects are
    /// freed with its channel.
    func handlerRemoved(context: ChannelHandlerContext) {
        _ = machine.close()
        timer?.cancel()
        timer = nil
        if let connection = tunnel ?? exchange?.connection, connection.owner === self { connection.owner = nil }
        tunnel = nil
        exchange = nil
        inbound = nil
        pendingResponseHead = nil
        self.context = nil
        channel = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        start()
        context.fireChannelActive()
    }

    private func start() {
        guard forwarding.port == 0, let channel else { return }
        forwarding.clientAddress = channel.remoteAddress?.ipAddress ?? "unknown"
        forwarding.port = channel.localAddress?.port ?? 0
        armTimer(machine.start(at: .now()))
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        inReadBatch = true
        if machine.timesClientBytes { machine.clientBytesArrived(at: .now()) }
        var buffer = unwrapInboundIn(data)
        if var pending = inbound, pending.readableBytes > 0 {
            inbound = nil
            pending.writeBuffer(&buffer)
            inbound = pending
        } else {
            inbound = buffer
        }
        processInbound()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        inReadBatch = false
        flushBackendIfNeeded()
        flushClientIfNeeded()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        inbound = nil
        switch machine.clientClosed() {
        case .closeTunnel:
            tunnel?.owner = nil
            tunnel?.flush()
            tunnel?.close()
            tunnel = nil
        case .abandon(let error):
            guard let exchange else { break }
            // The client went away mid-request (H27).
            self.exchange = nil
            exchange.connection?.owner = nil
            exchange.connection?.close()
            if let counted = exchange.counted { environment.inFlight.end(counted) }
            exchange.log.error = error
            exchange.log.status = error.status
            let now = NIODeadline.now()
            finishLog(exchange, now: now)
            emit(exchange, now: now)
        case .nothing:
            break
        }
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { (tunnel ?? exchange?.connection)?.resumeReading() }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            if machine.quiesce(buffered: inbound?.readableBytes ?? 0) { closeAfterFlush() }
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    /// Reads from the client only when there is somewhere to put the bytes.
    func read(context: ChannelHandlerContext) {
        if shouldRead {
            context.read()
        } else {
            readPending = true
        }
    }

    /// See `ProxyStateMachine.shouldRead`.
    private var shouldRead: Bool {
        machine.shouldRead(buffered: inbound?.readableBytes ?? 0, dynoWritable: dynoIsWritable)
    }

    func resumeReadingIfPossible() {
        guard readPending, shouldRead else { return }
        readPending = false
        context?.read()
    }

    // MARK: - Request bytes

    /// Handles buffered bytes in order until something has to wait.
    func processInbound() {
        guard !isProcessing else { return }
        isProcessing = true
        defer {
            isProcessing = false
            // Outside a client read batch (a pipelined request started by a dyno's answer, a
            // connect that completed) nothing else would flush what was sent to the dyno.
            if !inReadBatch { flushBackendIfNeeded() }
            resumeReadingIfPossible()
        }
        while var data = inbound, data.readableBytes > 0 {
            inbound = nil
            switch machine.phase {
            case .idle:
                guard readHead(&data) else { return }
            case .routing:
                inbound = data
                return
            case .forwarding:
                guard !machine.requestEnded, let connection = exchange?.connection else {
                    inbound = data
                    return
                }
                guard let piece = takeBody(&data) else { return }
                inbound = data
                if piece.readableBytes > 0 {
                    connection.send(piece)
                    backendNeedsFlush = true
                }
            case .discarding:
                guard takeBody(&data) != nil else { return }
                inbound = data
            case .tunnel:
                tunnel?.send(data)
                backendNeedsFlush = true
            case .closed:
                return
            }
        }
    }

    /// Parses a head at the front of `data` and starts its exchange; false when it must wait
    /// for more bytes or the request was refused.
    private func readHead(_ data: inout ByteBuffer) -> Bool {
        // Empty lines before a request line are ignored (RFC 9112 §2.2).
        while data.readableBytes >= 2, data.getInteger(at: data.readerIndex, as: UInt16.self) == 0x0D0A {
            data.moveReaderIndex(forwardBy: 2)
        }
        do {
            guard let end = try HeadParser.headEnd(in: data.readableBytesUInt8Span, from: scanned - 3) else {
                scanned = data.readableBytes
                inbound = data
                return false
            }
            scanned = 0
            let headBytes = data.readSlice(length: end)!
            inbound = data
            let fields = fieldScratch
            fieldScratch = []
            let head = try HeadParser.parseRequest(headBytes.readableBytesUInt8Span, fields: fields)
            begin(head, headBytes)
            fieldScratch = head.fields
            return true
        } catch {
            refuse(error)
            return false
        }
    }

    /// The bytes at the front of `data` that belong to the request body; nil (after closing)
    /// when the body is not well-formed chunked framing, or a discarded body ended a draining
    /// connection.
    private func takeBody(_ data: inout ByteBuffer) -> ByteBuffer? {
        switch machine.takeBody(data.readableBytesUInt8Span) {
        case .take(let count):
            return data.readSlice(length: count)!
        case .takeThenClose(let count):
            data.moveReaderIndex(forwardBy: count)
            inbound = data
            closeAfterFlush()
            return nil
        case .malformed:
            // The client broke its own request (H27, like a client that went away).
            abandonExchange(logging: .clientInterrupted)
            closeAfterFlush()
            return nil
        }
    }

    func flushBackendIfNeeded() {
        guard backendNeedsFlush else { return }
        backendNeedsFlush = false
        (tunnel ?? exchange?.connection)?.flush()
    }

    // MARK: - Writing to the client

    /// Writes to the client; the flush comes when the current read batch (client or dyno) ends.
    func write(_ buffer: ByteBuffer) {
        context?.write(wrapOutboundOut(buffer), promise: nil)
        clientNeedsFlush = true
        machine.wroteToClient(buffer.readableBytes, at: .now())
    }

    func flushClientIfNeeded() {
        guard clientNeedsFlush else { return }
        clientNeedsFlush = false
        context?.flush()
    }

    /// Closes the connection once everything written has gone out, or after the response
    /// window when the client does not read it.
    func closeAfterFlush() {
        guard let context, machine.close() else { return }
        clientNeedsFlush = false
        context.flush()
        let outputClosed = context.eventLoop.makePromise(of: Void.self)
        context.close(mode: .output, promise: outputClosed)
        outputClosed.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        // The connection's one timer now only drops a client that never takes what is left.
        timer?.cancel()
        timerDeadline = .distantFuture
        timer = pool.eventLoop.assumeIsolated().scheduleTask(in: environment.configuration.responseIdleTimeout) { [self] in
            timer = nil
            self.context?.close(promise: nil)
        }
    }
}
