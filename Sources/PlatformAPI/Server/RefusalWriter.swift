import NIOCore

/// Answers a connection the API refused, below the HTTP codec: writes `response` (a complete
/// HTTP response), closes the connection's output at once and the whole connection
/// `MalformedRequestCloser.linger` later at the latest, dropping whatever the client sends
/// meanwhile (closing with unread request bytes would reset the connection and could lose the
/// answer). Added at the front of a refused connection's pipeline by `ConnectionLimiter`.
final class RefusalWriter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let response: [UInt8]
    private var deadline: Scheduled<Void>?

    init(_ response: [UInt8]) {
        self.response = response
    }

    func handlerAdded(context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: response))).assumeIsolated().whenComplete { _ in
            context.close(mode: .output, promise: nil)
        }
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: MalformedRequestCloser.linger) { context.close(promise: nil) }
        context.read()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Dropped: nothing behind this handler serves a refused connection.
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // Keep reading until the client closes, so its close is seen.
        context.read()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }
}
