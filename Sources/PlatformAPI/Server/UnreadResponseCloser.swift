import NIOCore

/// Closes an API connection whose client stops reading its response.
///
/// Hummingbird's idle timeout never fires while a response is being written, so a client that
/// asks for a tailing log stream (or any response larger than the socket buffers) and then
/// never reads kept its connection, and what was queued for it, forever. Once the socket has
/// stayed unwritable (NIO's outbound buffer above its high-water mark) for `patience` in one
/// go, this handler closes it; a client that reads even slowly (32 KB per `patience`) keeps
/// toggling writability and is never closed.
final class UnreadResponseCloser: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    typealias InboundOut = NIOAny

    /// How long a response may wait for its client to read before the connection closes.
    static let patience: TimeAmount = .seconds(60)

    private let patience: TimeAmount
    private var deadline: Scheduled<Void>?

    init(patience: TimeAmount = UnreadResponseCloser.patience) {
        self.patience = patience
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            deadline?.cancel()
            deadline = nil
        } else if deadline == nil {
            deadline = context.eventLoop.assumeIsolated().scheduleTask(in: patience) { context.close(promise: nil) }
        }
        context.fireChannelWritabilityChanged()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }
}
