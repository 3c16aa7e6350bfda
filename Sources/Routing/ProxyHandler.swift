import Foundation
import NIOCore
import NIOHTTP1
import OpenrukoCore

/// One client connection: takes its requests in order, routes each to a dyno over a pooled
/// connection on the same event loop, and streams both bodies with backpressure (the client is
/// read only while the dyno connection is writable, and the other way round).
///
/// The routing, backend and upgrade halves live in `ProxyHandler+Routing.swift`,
/// `ProxyHandler+Backend.swift` and `ProxyHandler+Upgrade.swift`.
final class ProxyHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    enum State {
        /// Waiting for a request head.
        case idle
        /// Waiting for the route table (a booting app) or a connection to a dyno.
        case routing
        /// Request parts go to the dyno; response parts come back.
        case forwarding
        /// The response is done; the rest of the request body is thrown away.
        case discarding
        /// The connection is being handed to a raw byte tunnel.
        case upgrading
        case closed
    }

    let environment: ProxyEnvironment
    let pool: BackendPool
    var context: ChannelHandlerContext!
    var forwarding: ForwardingContext
    var state = State.idle
    var exchange: Exchange?
    /// Bumped per exchange, so late callbacks (connects, boot polls) can tell they are stale.
    var exchangeNumber = 0
    /// Request parts not yet handled: the body while connecting, pipelined requests.
    var queue = CircularBuffer<HTTPServerRequestPart>(initialCapacity: 4)
    var isDraining = false
    var inReadBatch = false
    var backendNeedsFlush = false
    var readPending = false
    /// Graceful shutdown: finish the current response, then close.
    var closeWhenIdle = false
    var random = FastRandom()
    var timer: Scheduled<Void>?
    var timerDeadline = NIODeadline.distantFuture
    var lastActivity = NIODeadline.now()

    init(environment: ProxyEnvironment, pool: BackendPool) {
        self.environment = environment
        self.pool = pool
        forwarding = ForwardingContext(
            clientAddress: "", proto: environment.configuration.forwardedProto, port: 0, via: environment.configuration.via)
    }

    /// The handlers of a client connection, this one last. The encoder keeps the framing the
    /// router chose; the decoder keeps bytes after an upgrade request for the tunnel.
    static func handlers(environment: ProxyEnvironment, pool: BackendPool) -> [any ChannelHandler] {
        var encoding = HTTPResponseEncoder.Configuration()
        encoding.automaticallySetFramingHeaders = false
        return [
            HTTPResponseEncoder(configuration: encoding),
            ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes)),
            ProxyHandler(environment: environment, pool: pool),
        ]
    }

    var clientIsWritable: Bool { context?.channel.isWritable ?? false }

    // MARK: - Client events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { start() }
    }

    func channelActive(context: ChannelHandlerContext) {
        start()
        context.fireChannelActive()
    }

    private func start() {
        guard forwarding.port == 0 else { return }
        forwarding.clientAddress = context.channel.remoteAddress?.ipAddress ?? "unknown"
        forwarding.port = context.channel.localAddress?.port ?? 0
        lastActivity = .now()
        armTimer(lastActivity + environment.configuration.clientIdleTimeout)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        inReadBatch = true
        queue.append(unwrapInboundIn(data))
        drainQueue()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        inReadBatch = false
        flushBackendIfNeeded()
        context.flush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        let wasUpgrading = state == .upgrading
        state = .closed
        timer?.cancel()
        timer = nil
        queue.removeAll()
        if !wasUpgrading, var exchange {
            self.exchange = nil
            exchange.connection?.owner = nil
            exchange.connection?.close()
            if let counted = exchange.counted { environment.inFlight.end(counted) }
            if exchange.appID != nil {
                exchange.log.error = .clientInterrupted
                exchange.log.status = Int(RoutingError.clientInterrupted.status.code)
                finishLog(&exchange, now: .now())
                emit(exchange)
            }
        }
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { exchange?.connection?.resumeReading() }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A malformed request: answer 400 unless a response is under way, then hang up.
        if error is HTTPParserError, state == .idle || state == .routing, exchange?.responseStarted != true {
            var headers = HTTPHeaders([("connection", "close"), ("content-length", "0"), ("via", forwarding.via)])
            headers.reserveCapacity(3)
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .badRequest, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.end(nil)), promise: nil)
        }
        closeAfterFlush()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            closeWhenIdle = true
            if state == .idle && queue.isEmpty { closeAfterFlush() }
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

    private var shouldRead: Bool {
        switch state {
        case .idle, .discarding:
            queue.isEmpty
        case .forwarding:
            queue.isEmpty && exchange.map { !$0.requestEnded && $0.connection?.isWritable == true } ?? false
        case .routing, .upgrading, .closed:
            false
        }
    }

    func resumeReadingIfPossible() {
        guard readPending, shouldRead else { return }
        readPending = false
        context.read()
    }

    // MARK: - Request parts

    /// Handles queued request parts in order until one has to wait.
    func drainQueue() {
        guard !isDraining else { return }
        isDraining = true
        while let part = queue.popFirst() {
            guard handle(part) else {
                queue.prepend(part)
                break
            }
        }
        isDraining = false
        resumeReadingIfPossible()
    }

    /// Handles one request part; false when it has to wait (the caller keeps it queued).
    private func handle(_ part: HTTPServerRequestPart) -> Bool {
        switch (state, part) {
        case (.idle, .head(let head)):
            begin(head)
            return true
        case (.idle, _):
            return true  // the decoder never sends these before a head
        case (_, .head):
            return false  // a pipelined request waits for the current one
        case (.routing, _):
            return false
        case (.forwarding, .body(let buffer)):
            exchange!.bodyForwarded = true
            exchange!.connection?.write(.body(.byteBuffer(buffer)))
            backendNeedsFlush = true
            return true
        case (.forwarding, .end(let trailers)):
            exchange!.requestEnded = true
            exchange!.connection?.write(.end(trailers))
            backendNeedsFlush = true
            return true
        case (.discarding, .body):
            return true
        case (.discarding, .end):
            state = .idle
            if closeWhenIdle { closeAfterFlush() }
            return true
        case (.upgrading, _), (.closed, _):
            return true
        }
    }

    func flushBackendIfNeeded() {
        guard backendNeedsFlush else { return }
        backendNeedsFlush = false
        exchange?.connection?.flush()
    }

    // MARK: - Writing to the client

    func write(_ part: HTTPServerResponsePart) {
        context.write(wrapOutboundOut(part), promise: nil)
    }

    /// Closes the connection once everything written has gone out.
    func closeAfterFlush() {
        guard state != .closed else { return }
        state = .closed
        let context = self.context!
        context.flush()
        let outputClosed = context.eventLoop.makePromise(of: Void.self)
        context.close(mode: .output, promise: outputClosed)
        outputClosed.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    // MARK: - Timer

    /// Makes sure the connection's one timer fires no later than `deadline`.
    func armTimer(_ deadline: NIODeadline) {
        guard deadline < timerDeadline, state != .closed else { return }
        timer?.cancel()
        timerDeadline = deadline
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            timer = nil
            timerDeadline = .distantFuture
            checkDeadlines()
        }
    }

    /// The timer fired: time out a silent dyno (H12) or an idle client, then re-arm.
    private func checkDeadlines() {
        let now = NIODeadline.now()
        let configuration = environment.configuration
        switch state {
        case .forwarding where exchange?.responseStarted == false:
            let deadline = (exchange?.sentAt ?? now) + configuration.responseTimeout
            if now >= deadline { return fail(.requestTimeout) }
            armTimer(deadline)
        case .idle where queue.isEmpty:
            let deadline = lastActivity + configuration.clientIdleTimeout
            if now >= deadline { return closeAfterFlush() }
            armTimer(deadline)
        case .closed, .upgrading:
            return
        default:
            armTimer(now + configuration.clientIdleTimeout)
        }
    }
}
