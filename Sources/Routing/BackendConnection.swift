import NIOCore
import NIOHTTP1
import OpenrukoCore

/// The router's end of one HTTP/1.1 connection to a dyno: the last handler of that channel.
/// While a request uses it, it hands every response part to its owner (the client's
/// `ProxyHandler`, on the same event loop); while pooled it only watches for the dyno closing.
final class BackendConnection: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    let backend: Backend
    /// The request using this connection; nil while pooled.
    weak var owner: ProxyHandler?
    /// The pool holding it while idle.
    weak var pool: BackendPool?
    /// When it last went back to the pool.
    var idleSince = NIODeadline.uptimeNanoseconds(0)
    private(set) var isOpen = true
    private var context: ChannelHandlerContext?
    private var readPending = false

    init(backend: Backend) {
        self.backend = backend
    }

    /// The encoders and decoders of a connection to a dyno, then this handler. The encoder keeps
    /// the framing headers the router chose; the decoder forwards 1xx heads and, after a 101,
    /// hands the bytes that followed to whatever replaces it.
    static func handlers(for backend: Backend) -> [any ChannelHandler] {
        var encoding = HTTPRequestEncoder.Configuration()
        encoding.automaticallySetFramingHeaders = false
        return [
            HTTPRequestEncoder(configuration: encoding),
            ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .forwardBytes, informationalResponseStrategy: .forward)),
            BackendConnection(backend: backend),
        ]
    }

    /// The channel, while the handler is in its pipeline.
    var channel: (any Channel)? { context?.channel }
    var isWritable: Bool { context?.channel.isWritable ?? false }

    func write(_ part: HTTPClientRequestPart) {
        context?.write(wrapOutboundOut(part), promise: nil)
    }

    func flush() {
        context?.flush()
    }

    func close() {
        guard isOpen else { return }
        isOpen = false
        context?.close(promise: nil)
    }

    /// The client can take more response bytes again.
    func resumeReading() {
        guard readPending, let context else { return }
        readPending = false
        context.read()
    }

    // MARK: - ChannelHandler

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if let owner {
            owner.backendReceived(self, unwrapInboundIn(data))
        } else {
            // A dyno talking on a connection nobody asked anything on: not reusable.
            close()
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        owner?.backendReadComplete(self)
    }

    func channelInactive(context: ChannelHandlerContext) {
        isOpen = false
        pool?.discard(self)
        owner?.backendClosed(self, error: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        owner?.backendClosed(self, error: error)
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
