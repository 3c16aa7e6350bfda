import NIOCore
import OpenrukoCore

/// The router's end of one HTTP/1.1 connection to a dyno, the only handler of that channel.
/// It reads the dyno's response heads strictly and follows body framing to find where each
/// response ends; bodies pass through as the bytes that arrived. While a request uses the
/// connection, its owner (the client's `ProxyHandler`, on the same event loop) gets every
/// piece; while pooled it only watches for the dyno closing.
final class BackendConnection: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum Phase {
        case idle
        case awaitingHead(toHEAD: Bool)
        case body(BodyTracker)
        /// After a 101: raw bytes both ways.
        case tunnel
    }

    let backend: Backend
    /// The request using this connection; nil while pooled. Strong (it is cleared whenever an
    /// exchange lets go of the connection): the router avoids weak-reference traffic per event.
    var owner: ProxyHandler?
    /// The pool that opened it (strong: pools live as long as the router).
    var pool: BackendPool?
    /// It waits in the pool for the next request.
    var isIdleInPool = false
    /// When it last went back to the pool.
    var idleSince = NIODeadline.uptimeNanoseconds(0)
    private(set) var isOpen = true
    /// The dyno keeps the connection open after the current response.
    private(set) var isReusable = true
    private var context: ChannelHandlerContext?
    private var readPending = false
    /// The client whose writes this read batch made; flushed once when the batch ends.
    private var flushTarget: ProxyHandler?
    private var phase = Phase.idle
    /// Bytes read but not yet handed on (a head still arriving).
    private var inbound: ByteBuffer?
    private var scanned = 0
    /// Reused from response to response.
    private var fieldScratch: [HeaderField] = []

    init(backend: Backend) {
        self.backend = backend
    }

    var isWritable: Bool { channel?.isWritable ?? false }
    /// The channel, kept from `handlerAdded`.
    private var channel: (any Channel)?

    /// A request is about to be sent: read a response to it next.
    func expectResponse(toHEAD: Bool) {
        phase = .awaitingHead(toHEAD: toHEAD)
        scanned = 0
    }

    func send(_ buffer: ByteBuffer) {
        context?.write(wrapOutboundOut(buffer), promise: nil)
    }

    func flush() {
        context?.flush()
    }

    func close() {
        guard isOpen else { return }
        isOpen = false
        isReusable = false
        context?.close(promise: nil)
    }

    /// The client can take more bytes again.
    func resumeReading() {
        guard readPending, let context else { return }
        readPending = false
        context.read()
    }

    // MARK: - ChannelHandler

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        channel = context.channel
    }

    /// Drops every reference that could keep a client's handler or this connection alive.
    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        channel = nil
        pool = nil
        owner = nil
        flushTarget = nil
        inbound = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if flushTarget == nil { flushTarget = owner }
        var buffer = unwrapInboundIn(data)
        if var pending = inbound, pending.readableBytes > 0 {
            inbound = nil
            pending.writeBuffer(&buffer)
            inbound = pending
        } else {
            inbound = buffer
        }
        process()
    }

    /// Hands the buffered bytes on as heads, body pieces and ends.
    private func process() {
        while var data = inbound, data.readableBytes > 0 {
            inbound = nil
            guard let owner else {
                // A dyno talking when nobody asked: not a connection to reuse.
                return close()
            }
            switch phase {
            case .idle:
                return close()
            case .awaitingHead(let toHEAD):
                let end: Int?
                do {
                    end = try HeadParser.headEnd(in: data.readableBytesUInt8Span, from: scanned - 3)
                } catch {
                    return failed(owner)
                }
                guard let end else {
                    scanned = data.readableBytes
                    inbound = data
                    return
                }
                scanned = 0
                let headBytes = data.readSlice(length: end)!
                inbound = data
                let fields = fieldScratch
                fieldScratch = []
                guard let head = try? HeadParser.parseResponse(headBytes.readableBytesUInt8Span, fields: fields) else {
                    return failed(owner)
                }
                defer { fieldScratch = head.fields }
                if head.status == 101 {
                    phase = .tunnel
                    isReusable = false
                    owner.backendSwitched(self, head, headBytes)
                } else if head.status < 200 {
                    owner.backendInformational(self, head, headBytes)
                } else {
                    let length = HeadParser.responseBody(head, toHEAD: toHEAD)
                    if !head.keepAlive || length == .untilClose { isReusable = false }
                    let tracker = BodyTracker(length)
                    phase = tracker.isComplete ? .idle : .body(tracker)
                    owner.backendResponseHead(self, head, headBytes, length: length)
                    if tracker.isComplete { owner.backendResponseEnd(self) }
                }
            case .body(var tracker):
                let count: Int
                let payloadBefore = tracker.payload
                do {
                    count = try tracker.take(data.readableBytesUInt8Span)
                } catch {
                    return failed(owner)
                }
                let piece = data.readSlice(length: count)!
                inbound = data
                phase = tracker.isComplete ? .idle : .body(tracker)
                if count > 0 { owner.backendResponseBody(self, piece, payload: tracker.payload - payloadBefore) }
                if tracker.isComplete { owner.backendResponseEnd(self) }
            case .tunnel:
                owner.backendTunnel(self, data)
            }
        }
        inbound = nil
    }

    private func failed(_ owner: ProxyHandler) {
        close()
        owner.backendClosed(self)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        let target = flushTarget
        flushTarget = nil
        target?.backendReadComplete(self)
    }

    func channelInactive(context: ChannelHandlerContext) {
        isOpen = false
        isReusable = false
        if isIdleInPool { pool?.discard(self) }
        let owner = self.owner
        if case .body(let tracker) = phase, tracker.endsWithClose {
            phase = .idle
            owner?.backendResponseEnd(self)
            owner?.backendReadComplete(self)
        } else {
            owner?.backendClosed(self)
        }
        self.owner = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        close()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        owner?.backendWritabilityChanged(self)
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if owner?.clientIsWritable ?? true {
            context.read()
        } else {
            readPending = true
        }
    }
}
