import NIOCore
import NIOHTTP1

/// Closes an API connection after Hummingbird answered a request the HTTP decoder rejected.
///
/// Hummingbird answers a parse error with 400, half-closes its side and waits for the client to
/// close; but its inbound stream has ended, so nothing reads the socket any more and that close
/// is never seen: every malformed request with unread bytes kept its descriptor forever
/// (issue 21). From the decoder's error on, this handler reads and drops whatever the client
/// still sends, so its close completes the connection, and closes it itself `linger` after the
/// error at the latest. The short linger lets the 400 reach the client before any reset.
final class MalformedRequestCloser: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    typealias InboundOut = NIOAny
    typealias OutboundIn = NIOAny
    typealias OutboundOut = NIOAny

    /// How long a connection stays open after its request was rejected.
    static let linger: TimeAmount = .seconds(2)

    private let linger: TimeAmount
    private var rejected = false
    private var deadline: Scheduled<Void>?

    init(linger: TimeAmount = MalformedRequestCloser.linger) {
        self.linger = linger
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // After the first error the decoder reports every further read as an error too: drop them.
        guard !rejected else { return }
        guard error is HTTPParserError else { return context.fireErrorCaught(error) }
        rejected = true
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: linger) { context.close(promise: nil) }
        context.fireErrorCaught(error)
        context.read()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.fireChannelReadComplete()
        // Nobody behind this handler asks for reads any more; keep reading until the client closes.
        if rejected { context.read() }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }
}
