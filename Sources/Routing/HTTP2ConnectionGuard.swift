import NIOCore
import NIOHTTP2

/// The lifetime of one HTTP/2 connection (each stream's deadlines are its `ProxyHandler`'s):
/// closed when no stream has been open for the idle timeout (a connection that only pings, or
/// whose header block never ends, is idle), and on graceful shutdown told `GOAWAY` and closed
/// once its open streams are done, and closed on the connection errors NIOHTTP2 reports
/// (`endsConnection`). Told of streams by NIOHTTP2 through `delegate`.
final class HTTP2ConnectionGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    private let idleTimeout: TimeAmount
    private let eventLoop: any EventLoop
    private var context: ChannelHandlerContext?
    private var openStreams = 0
    private var draining = false
    private var timer: Scheduled<Void>?

    init(idleTimeout: TimeAmount, eventLoop: any EventLoop) {
        self.idleTimeout = idleTimeout
        self.eventLoop = eventLoop
    }

    /// Tells this guard of streams opening and closing (the connection's event loop only).
    var delegate: Delegate { Delegate(owner: NIOLoopBound(self, eventLoop: eventLoop)) }

    /// What NIOHTTP2 calls as streams open and close.
    struct Delegate: NIOHTTP2StreamDelegate {
        let owner: NIOLoopBound<HTTP2ConnectionGuard>

        func streamCreated(_ id: HTTP2StreamID, channel: any Channel) {
            owner.value.streamOpened()
        }

        func streamClosed(_ id: HTTP2StreamID, channel: any Channel) {
            owner.value.streamEnded()
        }
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        armIdleTimer()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    /// NIOHTTP2 reports a connection error (a flood of resets, CONTINUATION or control frames,
    /// bytes that are not HTTP/2) after writing `GOAWAY`, and leaves the close to its user: such
    /// a connection is closed. A stream's error (a frame for a stream already reset, a common race)
    /// is reported the same way but ends only that stream: the connection and its other streams
    /// go on.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard Self.endsConnection(error) else { return context.fireErrorCaught(error) }
        timer?.cancel()
        timer = nil
        context.close(promise: nil)
    }

    /// Whether `error`, as NIOHTTP2 reports it, is one after which it has told the client `GOAWAY`.
    static func endsConnection(_ error: any Error) -> Bool {
        switch error {
        case is NIOHTTP2Errors.ExcessiveRSTFrames, is NIOHTTP2Errors.ExcessiveStreamErrors,
            is NIOHTTP2Errors.ExcessiveNumberOfGlitches, is NIOHTTP2Errors.ExcessiveControlFrames,
            is NIOHTTP2Errors.ExcessiveContinuationFrames, is NIOHTTP2Errors.ExcessiveEmptyDataFrames,
            is NIOHTTP2Errors.ExcessiveOutboundFrameBuffering, is NIOHTTP2Errors.ExcessivelyLargeHeaderBlock,
            is NIOHTTP2Errors.BadClientMagic, is NIOHTTP2Errors.MissingPreface, is NIOHTTP2Errors.UnableToParseFrame:
            true
        default:
            false
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent && !draining {
            draining = true
            // No new streams; the open ones finish.
            context.writeAndFlush(wrapOutboundOut(Self.goAway), promise: nil)
            if openStreams == 0 { close() }
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func streamOpened() {
        openStreams += 1
        timer?.cancel()
        timer = nil
    }

    private func streamEnded() {
        openStreams = max(0, openStreams - 1)
        guard openStreams == 0 else { return }
        if draining { close() } else { armIdleTimer() }
    }

    private func armIdleTimer() {
        timer?.cancel()
        timer = eventLoop.assumeIsolated().scheduleTask(in: idleTimeout) { [self] in
            timer = nil
            guard openStreams == 0 else { return }
            close()
        }
    }

    /// Says goodbye (no error) and closes.
    private func close() {
        guard let context else { return }
        timer?.cancel()
        timer = nil
        context.writeAndFlush(wrapOutboundOut(Self.goAway), promise: nil)
        context.close(promise: nil)
    }

    private static let goAway = HTTP2Frame(
        streamID: .rootStream, payload: .goAway(lastStreamID: .maxID, errorCode: .noError, opaqueData: nil))
}
