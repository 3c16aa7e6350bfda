import Foundation
import NIOCore
import OpenrukoCore

/// One client connection, the only handler of its channel: reads request heads strictly, routes
/// each request to a dyno over a pooled connection on the same event loop, and streams bodies
/// both ways as they arrive, with backpressure (the client is read only while the dyno
/// connection is writable, and the other way round). After a 101 both connections become a
/// raw byte tunnel.
///
/// Routing and the router's own answers are in `ProxyHandler+Routing.swift`, what comes back
/// from the dyno in `ProxyHandler+Backend.swift`.
final class ProxyHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    enum State {
        /// Waiting for (the rest of) a request head.
        case idle
        /// Waiting for the route table (a booting app) or a connection to a dyno.
        case routing
        /// The request body goes to the dyno; the response comes back.
        case forwarding
        /// The response is done; the rest of the request body is thrown away.
        case discarding
        /// After a 101: bytes go straight through.
        case tunnel
        case closed
    }

    let environment: ProxyEnvironment
    let pool: BackendPool
    /// Set from `handlerAdded` to `handlerRemoved` only: the context holds this handler, so
    /// keeping it longer would make a cycle and leak both with their pipeline (issue 21).
    private(set) var context: ChannelHandlerContext?
    var forwarding: ForwardingContext
    var state = State.idle
    var exchange: Exchange?
    /// Bumped per exchange, so late callbacks (connects, boot polls) can tell they are stale.
    var exchangeNumber = 0
    /// Bytes read but not handled yet: a head still arriving, a body waiting for its dyno, or a
    /// pipelined request waiting for the current response.
    var inbound: ByteBuffer?
    var scanned = 0
    /// What is left of the current request's body.
    var requestBody = BodyTracker(.none)
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
    /// Graceful shutdown: finish the current response, then close.
    var closeWhenIdle = false
    var random = FastRandom()
    var timer: Scheduled<Void>?
    var timerDeadline = NIODeadline.distantFuture
    var lastActivity = NIODeadline.now()
    /// When the current request's head arrived, and when its body last made progress (H28).
    var bodyStarted = NIODeadline.now()
    var bodyActivity = NIODeadline.now()
    /// The current window of a response being sent, and the bytes written to the client in it
    /// (a client that reads too slowly, H15).
    var responseWindowStart = NIODeadline.now()
    var responseWindowBytes = 0

    init(environment: ProxyEnvironment, pool: BackendPool) {
        self.environment = environment
        self.pool = pool
        forwarding = ForwardingContext(
            clientAddress: "", proto: environment.configuration.forwardedProto, port: 0, via: environment.configuration.via)
    }

    /// The client channel and its allocator, kept from `handlerAdded` (cheaper than going
    /// through the context on every request).
    private var channel: (any Channel)?
    var allocator = ByteBufferAllocator()

    var clientIsWritable: Bool { channel?.isWritable ?? false }

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
        state = .closed
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
        lastActivity = .now()
        armTimer(lastActivity + environment.configuration.clientIdleTimeout)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        inReadBatch = true
        // Body bytes keep the body going (not a response's window); a head must arrive whole
        // within the idle timeout; a pipelined head read ahead counts for neither.
        if state == .discarding || (state == .forwarding && exchange?.requestEnded == false) { bodyActivity = .now() }
        if state == .tunnel { lastActivity = .now() }
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
        let wasTunnel = state == .tunnel
        state = .closed
        timer?.cancel()
        timer = nil
        inbound = nil
        if wasTunnel {
            tunnel?.owner = nil
            tunnel?.flush()
            tunnel?.close()
            tunnel = nil
        } else if let exchange {
            // The client went away mid-request (H27).
            self.exchange = nil
            exchange.connection?.owner = nil
            exchange.connection?.close()
            if let counted = exchange.counted { environment.inFlight.end(counted) }
            exchange.log.error = .clientInterrupted
            exchange.log.status = RoutingError.clientInterrupted.status
            let now = NIODeadline.now()
            finishLog(exchange, now: now)
            emit(exchange, now: now)
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
            closeWhenIdle = true
            if state == .idle && (inbound?.readableBytes ?? 0) == 0 { closeAfterFlush() }
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

    /// While a request body streams, the client is read only as fast as the dyno takes it. Once
    /// the request is complete, reading goes on (a pipelined request may wait in `inbound`):
    /// so a waiting keep-alive connection keeps its read interest and costs no epoll changes.
    private var shouldRead: Bool {
        let buffered = inbound?.readableBytes ?? 0
        switch state {
        case .idle, .discarding:
            return true
        case .forwarding:
            guard let exchange else { return false }
            if exchange.requestEnded { return buffered < Self.readAheadLimit }
            return buffered == 0 && exchange.connection?.isWritable == true
        case .tunnel:
            return buffered == 0 && tunnel?.isWritable == true
        case .routing, .closed:
            return false
        }
    }

    /// Bytes of a pipelined request read ahead while a response is still on its way.
    static let readAheadLimit = 64 * 1024

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
            switch state {
            case .idle:
                guard readHead(&data) else { return }
            case .routing:
                inbound = data
                return
            case .forwarding:
                guard let exchange, !exchange.requestEnded, let connection = exchange.connection else {
                    inbound = data
                    return
                }
                guard let piece = takeBody(&data) else { return }
                inbound = data
                if piece.readableBytes > 0 {
                    exchange.bodyForwarded = true
                    connection.send(piece)
                    backendNeedsFlush = true
                }
                if requestBody.isComplete { exchange.requestEnded = true }
            case .discarding:
                guard takeBody(&data) != nil else { return }
                inbound = data
                if requestBody.isComplete {
                    state = .idle
                    if closeWhenIdle { return closeAfterFlush() }
                }
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
    /// when the body is not well-formed chunked framing.
    private func takeBody(_ data: inout ByteBuffer) -> ByteBuffer? {
        do {
            let count = try requestBody.take(data.readableBytesUInt8Span)
            return data.readSlice(length: count)!
        } catch {
            exchange?.connection?.close()
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
        lastActivity = .now()  // response bytes (written only while the client reads)
        responseWindowBytes &+= buffer.readableBytes
    }

    func flushClientIfNeeded() {
        guard clientNeedsFlush else { return }
        clientNeedsFlush = false
        context?.flush()
    }

    /// Closes the connection once everything written has gone out, or after the response
    /// window when the client does not read it.
    func closeAfterFlush() {
        guard state != .closed, let context else { return }
        state = .closed
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
