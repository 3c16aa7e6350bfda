import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A syslog receiver on loopback that parses RFC 6587 octet-counted RFC 5424 frames, as a
/// real collector would (optionally over TLS).
final class SyslogReceiver: @unchecked Sendable {
    // @unchecked: `frames` is only touched while holding `lock`.
    private let lock = NSLock()
    private var received: [String] = []
    private var malformed = 0
    private var ended = 0
    let channel: any Channel
    var port: Int { channel.localAddress!.port! }

    init(port: Int = 0, tls: NIOSSLContext? = nil) async throws {
        let sink = FrameSink()
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.closeFuture.whenComplete { _ in sink.receiver?.connectionEnded() }
                return channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try channel.pipeline.syncOperations.addHandler(OctetCountingHandler(sink: sink))
                }
            }
            .bind(host: "127.0.0.1", port: port).get()
        sink.receiver = self
    }

    fileprivate func add(_ frame: String?) {
        lock.withLock {
            if let frame { received.append(frame) } else { malformed += 1 }
        }
    }

    fileprivate func connectionEnded() { lock.withLock { ended += 1 } }

    var frames: [String] { lock.withLock { received } }
    var malformedFrames: Int { lock.withLock { malformed } }
    /// Connections that came and have closed (a refused TLS handshake, a drain that hung up).
    var endedConnections: Int { lock.withLock { ended } }

    func close() async { try? await channel.close() }
}

/// Hands parsed frames to the receiver (set once it exists).
final class FrameSink: @unchecked Sendable {
    weak var receiver: SyslogReceiver?
}

/// Splits `LEN SP MSG` frames.
final class OctetCountingHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private var buffer = ByteBuffer()
    private let sink: FrameSink

    init(sink: FrameSink) { self.sink = sink }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        buffer.writeBuffer(&incoming)
        while let space = buffer.readableBytesView.firstIndex(of: UInt8(ascii: " ")) {
            let digits = buffer.getString(at: buffer.readerIndex, length: space - buffer.readerIndex) ?? ""
            guard let length = Int(digits), length > 0 else {
                sink.receiver?.add(nil)
                buffer.clear()
                return
            }
            let frameStart = space + 1
            guard buffer.writerIndex >= frameStart + length else { return }
            let frame = buffer.getString(at: frameStart, length: length)
            buffer.moveReaderIndex(to: frameStart + length)
            sink.receiver?.add(frame)
        }
        buffer.discardReadBytes()
    }
}

/// An HTTP receiver of `application/logplex-1` POSTs on loopback that answers `status`
/// (changeable) and records each request's headers and frames.
final class HTTPReceiver: @unchecked Sendable {
    struct Request {
        var head: HTTPRequestHead
        var frames: [String]
    }

    // @unchecked: mutable fields are only touched while holding `lock`.
    private let lock = NSLock()
    private var received: [Request] = []
    private var answer: HTTPResponseStatus = .ok
    private var refused = 0
    let channel: any Channel
    var port: Int { channel.localAddress!.port! }

    init(port: Int = 0) async throws {
        let box = HTTPSink()
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(LogplexHandler(sink: box))
                }
            }
            .bind(host: "127.0.0.1", port: port).get()
        box.receiver = self
    }

    var status: HTTPResponseStatus {
        get { lock.withLock { answer } }
        set { lock.withLock { answer = newValue } }
    }

    fileprivate func handle(_ head: HTTPRequestHead, body: ByteBuffer) -> HTTPResponseStatus {
        var body = body
        var frames: [String] = []
        while let text = body.getString(at: body.readerIndex, length: body.readableBytes),
            let space = text.firstIndex(of: " "), let length = Int(text[..<space])
        {
            let skip = text.utf8.distance(from: text.startIndex, to: space) + 1
            body.moveReaderIndex(forwardBy: skip)
            guard let frame = body.readString(length: length) else { break }
            frames.append(frame)
        }
        return lock.withLock {
            if answer == .ok { received.append(Request(head: head, frames: frames)) } else { refused += 1 }
            return answer
        }
    }

    var requests: [Request] { lock.withLock { received } }
    /// Requests answered with an error status (their frames are not kept).
    var refusedRequests: Int { lock.withLock { refused } }
    var frames: [String] { requests.flatMap(\.frames) }

    func close() async { try? await channel.close() }
}

final class HTTPSink: @unchecked Sendable {
    weak var receiver: HTTPReceiver?
}

final class LogplexHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    private let sink: HTTPSink
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()

    init(sink: HTTPSink) { self.sink = sink }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body.clear()
        case .body(var chunk):
            body.writeBuffer(&chunk)
        case .end:
            guard let head else { return }
            let status = sink.receiver?.handle(head, body: body) ?? .serviceUnavailable
            var headers = HTTPHeaders()
            headers.add(name: "Content-Length", value: "0")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}

/// A loopback port nothing listens on (bound and released).
func freePort() throws -> Int {
    let channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).wait()
    let port = channel.localAddress!.port!
    try channel.close().wait()
    return port
}

/// A listener that accepts each connection and closes it at once, counting them: a drain's
/// endpoint that is there but fails every delivery.
final class ClosingListener: @unchecked Sendable {
    // @unchecked: `connections` is only touched while holding `lock`, `channel` set once.
    private let lock = NSLock()
    private var connections = 0
    private var channel: (any Channel)?

    init(port: Int) async throws {
        let box = ClosingListenerBox()
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                box.listener?.count()
                return channel.close()
            }
            .bind(host: "127.0.0.1", port: port).get()
        box.listener = self
    }

    fileprivate func count() { lock.withLock { connections += 1 } }

    /// Connections accepted (and closed) so far.
    var accepted: Int { lock.withLock { connections } }

    func close() async { try? await channel?.close() }
}

final class ClosingListenerBox: @unchecked Sendable {
    weak var listener: ClosingListener?
}
