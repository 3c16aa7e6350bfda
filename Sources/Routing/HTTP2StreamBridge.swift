import NIOCore
import NIOHTTP1

/// One HTTP/2 stream seen by the HTTP/1.1 proxy: the stream's request parts (from NIOHTTP2's
/// `HTTP2FramePayloadToHTTP1ServerCodec`) go to the stream's `ProxyHandler` as HTTP/1.1 bytes
/// (`HTTP1RequestWriter`), and the HTTP/1.1 response it writes comes back as parts
/// (`HTTP1ResponseReader`). So an HTTP/2 request gets the same routing, forwarded headers,
/// deadlines, error pages and log line as an HTTP/1.1 one, and reaches the dyno as HTTP/1.1.
///
/// Pipeline of a stream channel: codec → `HTTP2StreamBridge` → `ProxyHandler`.
final class HTTP2StreamBridge: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = HTTPServerResponsePart

    private var framing = HTTP1RequestWriter.Framing.none
    private var sawHead = false
    /// The request could not be written as HTTP/1.1: the bridge answered it; nothing more goes in.
    private var refused = false
    private var reader = HTTP1ResponseReader(toHEAD: false)
    /// The response's last part, once written: the stream closes after it went out.
    private var responseEnd: EventLoopFuture<Void>?
    private var closing = false

    // MARK: - Request: HTTP/2 parts in, HTTP/1.1 bytes out

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            guard !sawHead else { return }
            sawHead = true
            reader.toHEAD = head.method == .HEAD
            guard let written = HTTP1RequestWriter.head(head, allocator: context.channel.allocator) else {
                return refuse(context: context)
            }
            framing = written.1
            context.fireChannelRead(wrapInboundOut(written.0))
        case .body(let piece):
            guard !refused, let bytes = HTTP1RequestWriter.body(piece, framing: framing, allocator: context.channel.allocator)
            else { return }
            context.fireChannelRead(wrapInboundOut(bytes))
        case .end:
            guard !refused, let bytes = HTTP1RequestWriter.end(framing: framing, allocator: context.channel.allocator) else { return }
            context.fireChannelRead(wrapInboundOut(bytes))
        }
    }

    /// Answers a request HTTP/1.1 cannot carry with a 400 of the bridge's own, then closes the stream.
    private func refuse(context: ChannelHandlerContext) {
        refused = true
        let body = "Bad Request\n"
        let headers = HTTPHeaders([("content-type", "text/plain; charset=utf-8"), ("content-length", String(body.utf8.count))])
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .badRequest, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
        let end = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        end.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    // MARK: - Response: HTTP/1.1 bytes in, HTTP/2 parts out

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard !refused else {
            promise?.succeed()
            return
        }
        do {
            try reader.read(unwrapOutboundIn(data)) { part in send(part, context: context) }
            promise?.succeed()
        } catch {
            // Not a response the proxy writes; nothing sensible can follow on this stream.
            promise?.fail(error)
            context.close(promise: nil)
        }
    }

    private func send(_ part: HTTPServerResponsePart, context: ChannelHandlerContext) {
        if case .end = part {
            let promise = context.eventLoop.makePromise(of: Void.self)
            responseEnd = promise.futureResult
            context.write(wrapOutboundOut(part), promise: promise)
        } else {
            context.write(wrapOutboundOut(part), promise: nil)
        }
    }

    /// The proxy closes its "connection": a body that ends with it ends; a finished response
    /// goes out whole before the stream closes (closing at once would reset what flow control
    /// still holds). A second close (the proxy giving up on a client that does not read) closes
    /// at once.
    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if reader.close(emit: { part in send(part, context: context) }) { context.flush() }
        guard !closing, let responseEnd else {
            closing = true
            return context.close(mode: .all, promise: promise)
        }
        closing = true
        responseEnd.assumeIsolated().whenComplete { _ in context.close(mode: .all, promise: promise) }
    }
}
